import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { BaselineEntry, ConnectionEvent } from '../../contracts/connection-event.js';
import type { SourcePrevalence } from '../../contracts/prevalence.js';
import type { DeviceRow } from '../event-baseline.js';
import { describeFirstIssue, describeIssues, parseBody as parseVendorBody, parseEach } from '../vendor-body.js';
import { BASELINE_STATS, PREVALENCE_STATS } from './spl.js';

/** Splunk's JSON output renders every value as a string, a multivalue field as an array of them. */
const cell = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value[0] : value))
  .optional();
const requiredCell = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).transform((value) => (Array.isArray(value) ? (value[0] ?? '') : value));

/** `_time` as an ISO 8601 string with offset (JSON output) or epoch seconds (after `eval` or `stats`). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})$/;
const EPOCH_SECONDS = /^\d{1,12}(?:\.\d{1,9})?$/;

export function splunkTimeMs(text: string): number | undefined {
  if (EPOCH_SECONDS.test(text)) return Math.floor(Number(text) * 1_000);
  if (!ISO_TIME.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

const time = z.string().transform((text, context) => {
  const ms = splunkTimeMs(text);
  if (ms === undefined) {
    context.addIssue({ code: 'custom', message: 'expected an ISO 8601 time or epoch seconds' });
    return z.NEVER;
  }
  return ms;
});

export const CreateJobResponseSchema = z.object({ sid: z.string().regex(/^[A-Za-z0-9_.:@-]{1,200}$/, { error: 'not a search id' }) });

/** A job's messages: an array of {type, text} in JSON output, a {type: text} map in some versions. */
const JobMessagesSchema = z
  .union([
    z.array(z.object({ type: z.string().optional(), text: z.string() })),
    z.record(z.string(), z.union([z.string(), z.array(z.string())])).transform((byType) =>
      Object.entries(byType).flatMap(([type, texts]) => (Array.isArray(texts) ? texts : [texts]).map((text) => ({ type, text }))),
    ),
  ])
  .optional();

const count = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/).transform(Number)]).optional();

export const JobStatusSchema = z
  .object({
    entry: z
      .array(
        z.object({
          content: z.looseObject({
            dispatchState: z.string().min(1),
            resultCount: count,
            messages: JobMessagesSchema,
          }),
        }),
      )
      .min(1),
  })
  .transform((body) => body.entry[0]!.content);
export type JobStatus = z.output<typeof JobStatusSchema>;

export const ResultsPageSchema = z.object({
  results: z.array(z.record(z.string(), z.unknown())),
  messages: JobMessagesSchema,
});

export const ConnectionRowSchema = z.object({
  _time: z.union([time, z.array(time).min(1).transform((values) => values[0]!)]),
  Computer: requiredCell,
  EventRecordID: cell,
  ProcessGuid: cell,
  ProcessId: cell,
  Image: cell,
  User: cell,
  Protocol: cell,
  Initiated: cell,
  SourceIp: cell,
  SourcePort: cell,
  DestinationIp: cell,
  DestinationHostname: cell,
  DestinationPort: cell,
  action: cell,
});
export type ConnectionRow = z.output<typeof ConnectionRowSchema>;

export const BaselineRowSchema = z.object({
  Computer: requiredCell,
  SourceIp: cell,
  Image: cell,
  DestinationIp: cell,
  DestinationHostname: cell,
  DestinationPort: cell,
  Protocol: cell,
  [BASELINE_STATS.count]: z.string().regex(/^\d+$/).transform(Number),
  [BASELINE_STATS.first]: time,
  [BASELINE_STATS.last]: time,
});
export type BaselineRow = z.output<typeof BaselineRowSchema>;

const tally = z.string().regex(/^\d+$/).transform(Number);

export const HostCountRowSchema = z.object({ [PREVALENCE_STATS.hosts]: tally });

export const PortPrevalenceRowSchema = z.object({ Protocol: cell, DestinationPort: cell, [PREVALENCE_STATS.hosts]: tally });
export type PortPrevalenceRow = z.output<typeof PortPrevalenceRowSchema>;

export const DestinationPrevalenceRowSchema = z.object({ [PREVALENCE_STATS.destination]: requiredCell, [PREVALENCE_STATS.hosts]: tally });
export type DestinationPrevalenceRow = z.output<typeof DestinationPrevalenceRowSchema>;

/** A JSON body that is not the documented shape is terminal, naming every bad field. */
export function parseBody<S extends z.ZodType>(sourceId: string, what: string, schema: S, body: unknown): z.output<S> {
  return parseVendorBody(sourceId, what, schema, body, describeIssues);
}

/** Validates every row; a bad row is an error naming the row and field, never a silent skip. */
export function parseRows<S extends z.ZodType>(sourceId: string, schema: S, rows: readonly unknown[], offset: number): z.output<S>[] {
  return parseEach(sourceId, schema, rows, (index, error) => `search result ${offset + index} has an invalid ${describeFirstIssue(error, '(row)')}`);
}

/** Sysmon writes "-" for what it could not resolve; Splunk omits empty fields. */
const present = (value: string | undefined): string | undefined => (value && value !== '-' ? value : undefined);

function integer(value: string | undefined): number | undefined {
  const text = present(value);
  return text !== undefined && /^\d{1,10}$/.test(text) ? Number(text) : undefined;
}

/** Sysmon writes tcp/udp; CIM `transport` too; some pipelines keep the IANA number. */
export function normalizeProtocol(protocol: string | undefined): string {
  const lower = (present(protocol) ?? '').trim().toLowerCase();
  if (lower === '' || lower === 'unknown') return 'unknown';
  if (lower === '6' || lower.startsWith('tcp')) return 'tcp';
  if (lower === '17' || lower.startsWith('udp')) return 'udp';
  if (lower === '58' || lower.startsWith('icmpv6')) return 'icmpv6';
  if (lower === '1' || lower.startsWith('icmp')) return 'icmp';
  return lower;
}

export const imageName = (image: string | undefined): string | undefined => present(image)?.split(/[\\/]/).pop() || undefined;

const hostnameOf = (value: string | undefined): string | undefined => present(value)?.toLowerCase().replace(/\.$/, '') || undefined;

/** CIM Network_Traffic `action`, when the search yields it; Sysmon itself does not say whether a connection worked. */
function outcomeOf(action: string | undefined): ConnectionEvent['outcome'] {
  const lower = present(action)?.toLowerCase();
  if (lower === undefined) return 'unknown';
  if (['allowed', 'allow', 'accept', 'success', 'teardown'].includes(lower)) return 'success';
  if (['blocked', 'block', 'dropped', 'drop', 'denied', 'deny', 'reset'].includes(lower)) return 'blocked';
  if (lower === 'failure' || lower === 'failed') return 'failure';
  return 'unknown';
}

function directionOf(initiated: string | undefined): ConnectionEvent['direction'] {
  const lower = present(initiated)?.toLowerCase();
  if (lower === 'true') return 'outbound';
  if (lower === 'false') return 'inbound';
  return 'unknown';
}

/**
 * Windows event record ids are unique per host and channel, so (Computer, EventRecordID) names one Sysmon event.
 * A custom search without it gets a digest of the fields that describe the connection.
 */
export function connectionEventId(row: ConnectionRow): string {
  const host = row.Computer.toLowerCase();
  const recordId = present(row.EventRecordID);
  if (recordId !== undefined) return `splunk:${host}:${recordId}`;
  const digest = createHash('sha1')
    .update(JSON.stringify([host, row._time, row.ProcessGuid, row.ProcessId, row.SourceIp, row.SourcePort, row.DestinationIp, row.DestinationPort, row.Protocol]))
    .digest('hex');
  return `splunk:${host}:${digest}`;
}

export function toConnectionEvent(sourceId: string, row: ConnectionRow): ConnectionEvent {
  const sourceIp = present(row.SourceIp);
  return {
    id: connectionEventId(row),
    source: sourceId,
    time: row._time,
    device: { hostname: row.Computer, ip: sourceIp },
    process: {
      pid: integer(row.ProcessId),
      name: imageName(row.Image),
      path: present(row.Image),
      user: present(row.User),
    },
    src_endpoint: { ip: sourceIp, port: integer(row.SourcePort) },
    dst_endpoint: { ip: present(row.DestinationIp), port: integer(row.DestinationPort), hostname: hostnameOf(row.DestinationHostname) },
    protocol: normalizeProtocol(row.Protocol),
    direction: directionOf(row.Initiated),
    outcome: outcomeOf(row.action),
  };
}

/** A baseline row with its device as Sysmon names it (computer name, local address), for attribution. */
export function toBaselineRow(row: BaselineRow): DeviceRow {
  return { device: { hostname: row.Computer, ip: present(row.SourceIp) }, entry: toBaselineEntry(row) };
}

function toBaselineEntry(row: BaselineRow): BaselineEntry {
  return {
    host: row.Computer,
    process_path: present(row.Image),
    process_name: imageName(row.Image),
    dst_ip: present(row.DestinationIp),
    dst_hostname: hostnameOf(row.DestinationHostname),
    dst_port: integer(row.DestinationPort),
    protocol: normalizeProtocol(row.Protocol),
    count: row[BASELINE_STATS.count],
    first_seen: row[BASELINE_STATS.first],
    last_seen: row[BASELINE_STATS.last],
  };
}

/** Protocol and port read as the baseline reads them; a port outside 0-65535 is no port. */
export function toPortPrevalence(row: PortPrevalenceRow): SourcePrevalence['ports'][number] {
  const port = integer(row.DestinationPort);
  return { protocol: normalizeProtocol(row.Protocol), port: port !== undefined && port <= 65_535 ? port : null, hosts: row[PREVALENCE_STATS.hosts] };
}

export function toDestinationPrevalence(row: DestinationPrevalenceRow): SourcePrevalence['destinations'][number] {
  return { destination: row[PREVALENCE_STATS.destination], hosts: row[PREVALENCE_STATS.hosts] };
}
