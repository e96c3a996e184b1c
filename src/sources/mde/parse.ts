import * as z from 'zod';
import type { BaselineEntry, ConnectionEvent } from '../../contracts/connection-event.js';
import type { SourcePrevalence } from '../../contracts/prevalence.js';
import { isoUtcMs } from '../process-start.js';
import { describeFirstIssue, describeIssues, parseBody, parseEach } from '../vendor-body.js';
import { BASELINE_COLUMNS, PREVALENCE_COLUMNS, PROTOCOL_PREFIXES } from './kql.js';
import type { DeviceRow } from '../event-baseline.js';

/** MDE `Timestamp`: UTC ISO 8601, normally with 7 fractional digits. Kept raw for the paging cursor. */
const TimestampSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,7})?Z$/, {
  error: 'expected a UTC ISO 8601 datetime',
});
/** Kusto strings are empty rather than null, but Graph is not documented to promise it. */
const text = z.string().nullish();
const int = z.number().int().nullish();
/**
 * A datetime column the row is still good without (`InitiatingProcessCreationTime`): Kusto's null datetime, an empty
 * string or anything but a UTC ISO datetime is absent, epoch ms otherwise.
 */
const optionalTime = z.unknown().transform(isoUtcMs).optional();

/** The docs show schema entries both as `name`/`type` and as `Name`/`Type`. */
const SchemaEntrySchema = z.union([
  z.object({ name: z.string(), type: z.string() }),
  z.object({ Name: z.string(), Type: z.string() }).transform((entry) => ({ name: entry.Name, type: entry.Type })),
]);
const RowsSchema = z.array(z.record(z.string(), z.unknown()));

/** `huntingQueryResults`; the older MDE API's capitalised `Schema`/`Results` are read too. */
const HuntingResponseSchema = z
  .looseObject({
    schema: z.array(SchemaEntrySchema).optional(),
    Schema: z.array(SchemaEntrySchema).optional(),
    results: RowsSchema.optional(),
    Results: RowsSchema.optional(),
  })
  .transform((body, context) => {
    const results = body.results ?? body.Results;
    if (!results) {
      context.addIssue({ code: 'custom', message: 'no results array', path: ['results'] });
      return z.NEVER;
    }
    return { schema: body.schema ?? body.Schema ?? [], results };
  });

export type HuntingResponse = z.output<typeof HuntingResponseSchema>;

export const ConnectionRowSchema = z.object({
  Timestamp: TimestampSchema,
  DeviceId: z.string().min(1),
  DeviceName: z.string(),
  ActionType: z.enum(['ConnectionSuccess', 'ConnectionFailed', 'ConnectionRequest']),
  RemoteIP: text,
  RemotePort: int,
  RemoteUrl: text,
  LocalIP: text,
  LocalPort: int,
  Protocol: text,
  InitiatingProcessFileName: text,
  InitiatingProcessFolderPath: text,
  InitiatingProcessCommandLine: text,
  InitiatingProcessSHA1: text,
  InitiatingProcessSHA256: text,
  InitiatingProcessId: int,
  InitiatingProcessAccountDomain: text,
  InitiatingProcessAccountName: text,
  InitiatingProcessCreationTime: optionalTime,
  InitiatingProcessParentFileName: text,
  InitiatingProcessVersionInfoCompanyName: text,
  /** A long; Graph serialises it as a JSON number, a string is accepted too. */
  ReportId: z.union([z.number().int(), z.string().regex(/^-?\d{1,19}$/)]).transform(String),
});
export type ConnectionRow = z.output<typeof ConnectionRowSchema>;

export const BaselineRowSchema = z.object({
  DeviceId: z.string().min(1),
  DeviceName: z.string(),
  LocalIP: text,
  InitiatingProcessFolderPath: text,
  InitiatingProcessFileName: text,
  InitiatingProcessSHA1: text,
  RemoteIP: text,
  RemoteUrl: text,
  RemotePort: int,
  Protocol: text,
  [BASELINE_COLUMNS.count]: z.number().int().nonnegative(),
  [BASELINE_COLUMNS.first]: TimestampSchema,
  [BASELINE_COLUMNS.last]: TimestampSchema,
  [BASELINE_COLUMNS.key]: z.string().min(1),
});
export type BaselineRow = z.output<typeof BaselineRowSchema>;

/** A `dcount()`: a long, which Graph serialises as a JSON number; a string is accepted too. */
const tally = z.union([z.number().int().nonnegative(), z.string().regex(/^\d{1,19}$/).transform(Number)]);

export const HostCountRowSchema = z.object({ [PREVALENCE_COLUMNS.hosts]: tally });

export const PortPrevalenceRowSchema = z.object({
  Protocol: text,
  RemotePort: z.number().int().min(0).max(65_535).nullish(),
  [PREVALENCE_COLUMNS.hosts]: tally,
});
export type PortPrevalenceRow = z.output<typeof PortPrevalenceRowSchema>;

export const DestinationPrevalenceRowSchema = z.object({
  [PREVALENCE_COLUMNS.destination]: z.string(),
  [PREVALENCE_COLUMNS.hosts]: tally,
});
export type DestinationPrevalenceRow = z.output<typeof DestinationPrevalenceRowSchema>;

/** The Graph envelope; a body that is JSON but not this shape is terminal (not what the vendor documents). */
export function parseHuntingResponse(sourceId: string, body: unknown): HuntingResponse {
  return parseBody(sourceId, 'runHuntingQuery', HuntingResponseSchema, body, describeIssues);
}

/** Validates every row; a bad row is an error naming the row and column, never a silent skip. */
export function parseRows<S extends z.ZodType>(sourceId: string, schema: S, rows: readonly unknown[]): z.output<S>[] {
  return parseEach(sourceId, schema, rows, (index, error) => `runHuntingQuery row ${index} has an invalid ${describeFirstIssue(error, '(row)')}`);
}

/** Epoch ms of an MDE timestamp; the sub-millisecond digits are dropped. */
export function timestampMs(timestamp: string): number {
  const [seconds = '', fraction = ''] = timestamp.slice(0, -1).split('.');
  return Date.parse(`${seconds}.${fraction.padEnd(3, '0').slice(0, 3)}Z`);
}

const present = (value: string | null | undefined): string | undefined => (value ? value : undefined);
const presentInt = (value: number | null | undefined): number | undefined => value ?? undefined;

/** `Tcp`, `TcpV4`, `TcpV6` → tcp; `Udp*` → udp; `Icmp*` → icmp / icmpv6; `Unknown` or empty → unknown. */
export function normalizeProtocol(protocol: string | null | undefined): string {
  const lower = (protocol ?? '').trim().toLowerCase();
  if (lower === '' || lower === 'unknown') return 'unknown';
  return PROTOCOL_PREFIXES.find((prefix) => lower.startsWith(prefix)) ?? lower;
}

/** The host of a `RemoteUrl`, which MDE fills with a bare FQDN or with a full URL. */
export function remoteHost(remoteUrl: string | null | undefined): string | undefined {
  const value = remoteUrl?.trim();
  if (!value) return undefined;
  if (value.includes('://')) {
    try {
      return present(new URL(value).hostname.toLowerCase());
    } catch {
      return undefined;
    }
  }
  const host = value.split(/[/?#]/)[0] ?? '';
  const withoutPort = host.split(':').length === 2 ? host.split(':')[0] : host;
  return present(withoutPort?.toLowerCase());
}

const OUTCOME = { ConnectionSuccess: 'success', ConnectionFailed: 'failure', ConnectionRequest: 'unknown' } as const;

export const connectionEventId = (row: Pick<ConnectionRow, 'DeviceId' | 'ReportId' | 'Timestamp'>): string =>
  `mde:${row.DeviceId}:${row.ReportId}:${row.Timestamp}`;

export function toConnectionEvent(sourceId: string, row: ConnectionRow): ConnectionEvent {
  const domain = present(row.InitiatingProcessAccountDomain);
  const account = present(row.InitiatingProcessAccountName);
  return {
    id: connectionEventId(row),
    source: sourceId,
    time: timestampMs(row.Timestamp),
    device: { hostname: present(row.DeviceName), uid: row.DeviceId, ip: present(row.LocalIP) },
    process: {
      pid: presentInt(row.InitiatingProcessId),
      name: present(row.InitiatingProcessFileName),
      // MDE's "folder path" is the full image path, file name included.
      path: present(row.InitiatingProcessFolderPath),
      cmd_line: present(row.InitiatingProcessCommandLine),
      sha1: present(row.InitiatingProcessSHA1),
      sha256: present(row.InitiatingProcessSHA256),
      user: account && domain ? `${domain}\\${account}` : account,
      // MDE has the parent's file name only (`InitiatingProcessParentFileName`), no parent path column.
      parent_name: present(row.InitiatingProcessParentFileName),
      started_at: row.InitiatingProcessCreationTime,
      // The version-info company is whatever the binary claims, not a verified signer.
      signer: undefined,
    },
    src_endpoint: { ip: present(row.LocalIP), port: presentInt(row.LocalPort) },
    dst_endpoint: { ip: present(row.RemoteIP), port: presentInt(row.RemotePort), hostname: remoteHost(row.RemoteUrl) },
    protocol: normalizeProtocol(row.Protocol),
    direction: 'outbound',
    outcome: OUTCOME[row.ActionType],
  };
}

/** A baseline row with its device as MDE identifies it, for attribution to the watched host. */
export function toBaselineRow(row: BaselineRow): DeviceRow {
  return { device: { uid: row.DeviceId, hostname: present(row.DeviceName), ip: present(row.LocalIP) }, entry: toBaselineEntry(row) };
}

function toBaselineEntry(row: BaselineRow): BaselineEntry {
  return {
    host: row.DeviceName,
    process_path: present(row.InitiatingProcessFolderPath),
    process_name: present(row.InitiatingProcessFileName),
    sha1: present(row.InitiatingProcessSHA1),
    dst_ip: present(row.RemoteIP),
    dst_hostname: remoteHost(row.RemoteUrl),
    dst_port: presentInt(row.RemotePort),
    protocol: normalizeProtocol(row.Protocol),
    count: row[BASELINE_COLUMNS.count],
    first_seen: timestampMs(row[BASELINE_COLUMNS.first]),
    last_seen: timestampMs(row[BASELINE_COLUMNS.last]),
  };
}

/** The query normalized the protocol already; normalizing again keeps it exactly as `toConnectionEvent` has it. */
export function toPortPrevalence(row: PortPrevalenceRow): SourcePrevalence['ports'][number] {
  return { protocol: normalizeProtocol(row.Protocol), port: row.RemotePort ?? null, hosts: row[PREVALENCE_COLUMNS.hosts] };
}

export function toDestinationPrevalence(row: DestinationPrevalenceRow): SourcePrevalence['destinations'][number] {
  return { destination: row[PREVALENCE_COLUMNS.destination], hosts: row[PREVALENCE_COLUMNS.hosts] };
}
