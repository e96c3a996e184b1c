import * as z from 'zod';
import { IpSchema } from '../../contracts/common.js';
import type { ConnectionEvent } from '../../contracts/connection-event.js';
import { SourceError } from '../source-error.js';
import { describeFirstIssue, describeIssues, parseEach } from '../vendor-body.js';
import { parsePanTime } from './zoned-time.js';

/** `<result><job>18</job></result>` after a log query is enqueued. */
export const EnqueueResultSchema = z.object({ job: z.string().regex(/^\d{1,20}$/, { error: 'not a job id' }) });

/** An empty element reads as ''; missing and empty mean the same. */
const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value === '' ? undefined : value));
const port = z
  .string()
  .regex(/^\d{1,5}$/)
  .transform(Number)
  .optional();
const bytes = z
  .string()
  .regex(/^\d{1,20}$/)
  .transform(Number)
  .optional();

/** One `<entry>` of a traffic log, as the parser hands it over (every value a string). */
export const TrafficEntrySchema = z.object({
  serial: z.string().min(1),
  seqno: z.string().regex(/^\d{1,20}$/),
  receive_time: optionalText,
  time_generated: optionalText,
  high_res_timestamp: optionalText,
  src: IpSchema,
  dst: IpSchema,
  sport: port,
  dport: port,
  proto: optionalText,
  action: z.string().min(1),
  subtype: optionalText,
  app: optionalText,
  bytes_sent: bytes,
  bytes_received: bytes,
});
export type TrafficEntry = z.output<typeof TrafficEntrySchema>;

const LogsSchema = z.object({
  '@_count': z.string().regex(/^\d+$/).optional(),
  '@_progress': z.string().optional(),
  entry: z.array(z.unknown()).optional(),
});

/** `<result><job>..<status>ACT|FIN</status>..</job><log><logs count progress>(<entry>)*</logs></log></result>` */
export const JobResultSchema = z.object({
  job: z.object({ status: z.string().min(1) }),
  // While the job runs the firewall may leave `<log>` out, or send it empty.
  log: z.union([z.object({ logs: z.union([LogsSchema, z.literal('')]).optional() }), z.literal('')]).optional(),
});
export type JobResult = z.output<typeof JobResultSchema>;

export function entriesOf(result: JobResult): unknown[] {
  const logs = typeof result.log === 'object' ? result.log.logs : undefined;
  return typeof logs === 'object' ? (logs.entry ?? []) : [];
}

/** A `<result>` that is not the documented shape is terminal: not what the vendor documents. */
export function parseResult<S extends z.ZodType>(sourceId: string, what: string, schema: S, result: unknown): z.output<S> {
  const parsed = schema.safeParse(result);
  if (!parsed.success) throw new SourceError('terminal', sourceId, `${what} answered an unexpected result (${describeIssues(parsed.error, '(result)')})`);
  return parsed.data;
}

/** Validates every entry; a bad entry is an error naming the entry and field, never a silent skip. */
export function parseEntries(sourceId: string, entries: readonly unknown[], skip: number): TrafficEntry[] {
  return parseEach(
    sourceId,
    TrafficEntrySchema,
    entries,
    (index, error) => `traffic log entry ${skip + index} has an invalid ${describeFirstIssue(error, '(entry)')}`,
  );
}

/** `high_res_timestamp`: ISO 8601 with milliseconds and the firewall's offset, e.g. 2026-11-29T11:00:00.123+01:00. */
const HIGH_RES = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})$/;

/** When the session was logged: `high_res_timestamp` (milliseconds), else `time_generated`, else `receive_time`. */
export function entryTimeMs(entry: TrafficEntry, timeZone: string): number | undefined {
  if (entry.high_res_timestamp !== undefined && HIGH_RES.test(entry.high_res_timestamp)) {
    const ms = Date.parse(entry.high_res_timestamp);
    if (!Number.isNaN(ms)) return ms;
  }
  for (const text of [entry.time_generated, entry.receive_time]) {
    const ms = text === undefined ? undefined : parsePanTime(text, timeZone);
    if (ms !== undefined) return ms;
  }
  return undefined;
}

/** Policy actions that stop a session: deny, drop (silent), reset-client/-server/-both (after the handshake). */
const BLOCKING = /^(?:deny|drop|drop-icmp|drop-all-packets|reset-client|reset-server|reset-both|block-url|block-ip|block)$/;

function outcomeOf(entry: TrafficEntry): ConnectionEvent['outcome'] {
  const action = entry.action.toLowerCase();
  if (BLOCKING.test(action) || entry.subtype === 'deny' || entry.subtype === 'drop') return 'blocked';
  if (action === 'allow') return 'success';
  return 'unknown';
}

/**
 * A traffic log entry as a connection of the host at `src` (the pre-NAT source). Firewalls see no process: the
 * app-id (`app`) names the traffic, not the program, and has no field in the event contract, so it is left out.
 */
export function toConnectionEvent(sourceId: string, entry: TrafficEntry, timeMs: number): ConnectionEvent {
  return {
    id: `panos:${entry.serial}:${entry.seqno}`,
    source: sourceId,
    time: timeMs,
    device: { ip: entry.src },
    src_endpoint: { ip: entry.src, port: entry.sport },
    dst_endpoint: { ip: entry.dst, port: entry.dport },
    protocol: entry.proto?.toLowerCase() ?? 'unknown',
    direction: 'outbound',
    outcome: outcomeOf(entry),
    bytes_out: entry.bytes_sent,
    bytes_in: entry.bytes_received,
  };
}
