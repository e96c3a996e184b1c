import * as z from 'zod';
import { IpSchema } from '../../contracts/common.js';
import type { ConnectionEvent } from '../../contracts/connection-event.js';
import { parseJsonBody } from '../http/classify.js';
import { SourceError } from '../source-error.js';
import { describeFirstIssue, describeIssues, parseBody, parseEach } from '../vendor-body.js';

/** FortiOS sends numbers as JSON numbers; some builds and FortiAnalyzer relays send them as strings. */
const integer = z.union([z.number().int(), z.string().regex(/^-?\d{1,20}$/).transform(Number)]);
/** A number, or the digits `readLogBody` kept of an `eventtime` too long for a double. */
const epoch = z.union([z.number().nonnegative(), z.string().regex(/^\d{1,20}$/)]);
const optionalText = z
  .union([z.string(), z.number()])
  .optional()
  .transform((value) => (value === undefined || value === '' ? undefined : String(value)));

/**
 * The log API envelope: `results` holds the records; FortiAnalyzer-backed reads add `session_id` and `completed`
 * (percent). `status: "error"` with `http_status`/`error` on a 200 is a refused request.
 */
export const LogResponseSchema = z.looseObject({
  status: z.string().optional(),
  http_status: z.number().int().optional(),
  error: z.union([z.number(), z.string()]).optional(),
  results: z.array(z.unknown()).optional(),
  session_id: integer.optional(),
  completed: z.union([z.number(), z.string().regex(/^\d{1,3}(?:\.\d+)?$/).transform(Number)]).optional(),
});
export type LogResponse = z.output<typeof LogResponseSchema>;

/** One forward-traffic record. */
export const TrafficRecordSchema = z.object({
  eventtime: epoch,
  logid: optionalText,
  devid: optionalText,
  sessionid: optionalText,
  srcip: IpSchema,
  srcport: integer.optional(),
  dstip: IpSchema,
  dstport: integer.optional(),
  proto: integer.optional(),
  action: z.string().min(1),
  utmaction: optionalText,
  sentbyte: integer.optional(),
  rcvdbyte: integer.optional(),
});
export type TrafficRecord = z.output<typeof TrafficRecordSchema>;

/** An `eventtime` written as a bare JSON number of 16 digits or more (µs, ns): more than a double holds exactly. */
const LONG_EVENTTIME = /("eventtime"\s*:\s*)(\d{16,})(?=\s*[,}])/g;

/**
 * The log API's JSON body, with long `eventtime` numbers kept as their digits: read as doubles, two records a few
 * hundred nanoseconds apart would share an id, and one in the last 128 ns of a millisecond would move to the next.
 */
export const readLogBody = (sourceId: string, status: number, body: string): unknown =>
  parseJsonBody(sourceId, status, body.replace(LONG_EVENTTIME, '$1"$2"'));

/** The envelope; a body that is JSON but not this shape, or a 200 saying error, is terminal. */

export function parseLogResponse(sourceId: string, body: unknown): LogResponse {
  const response = parseBody(sourceId, 'log API', LogResponseSchema, body, describeIssues);
  if (response.status === 'error') {
    const detail = [response.http_status && `http_status ${response.http_status}`, response.error !== undefined && `error ${response.error}`];
    throw new SourceError('terminal', sourceId, `log API refused the request (${detail.filter(Boolean).join(', ') || 'no detail'})`);
  }
  return response;
}

/** Validates every record; a bad record is an error naming the record and field, never a silent skip. */
export function parseRecords(sourceId: string, records: readonly unknown[], start: number): TrafficRecord[] {
  return parseEach(
    sourceId,
    TrafficRecordSchema,
    records,
    (index, error) => `traffic log record ${start + index} has an invalid ${describeFirstIssue(error, '(record)')}`,
  );
}

/**
 * `eventtime` in epoch milliseconds. FortiOS 6.2+ writes nanoseconds (19 digits), some builds microseconds or
 * seconds: the magnitude tells which. Any date after 1973 and before 5138 reads unambiguously.
 */
export function eventTimeMs(eventtime: number | string): number {
  if (typeof eventtime === 'string') {
    const value = BigInt(eventtime);
    if (value >= 100_000_000_000_000_000n) return Number(value / 1_000_000n);
    if (value >= 100_000_000_000_000n) return Number(value / 1_000n);
    if (value >= 100_000_000_000n) return Number(value);
    return Number(value * 1_000n);
  }
  if (eventtime >= 1e17) return Math.floor(eventtime / 1e6);
  if (eventtime >= 1e14) return Math.floor(eventtime / 1e3);
  if (eventtime >= 1e11) return Math.floor(eventtime);
  return Math.floor(eventtime * 1e3);
}

const PROTOCOLS: Readonly<Record<number, string>> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6' };

/**
 * `deny` is a policy block; `ip-conn` (no session could be set up) and `dns` (name not resolved) are failures;
 * accept/start/close/timeout and the resets are sessions that were let through. A UTM profile can still block
 * an accepted session (`utmaction: block`).
 */
function outcomeOf(record: TrafficRecord): ConnectionEvent['outcome'] {
  const action = record.action.toLowerCase();
  if (action === 'deny' || record.utmaction?.toLowerCase() === 'block') return 'blocked';
  if (action === 'ip-conn' || action === 'dns') return 'failure';
  if (['accept', 'start', 'close', 'timeout', 'client-rst', 'server-rst'].includes(action)) return 'success';
  return 'unknown';
}

/** A forward-traffic record as a connection of the host at `srcip`. Firewalls see no process. */
export function toConnectionEvent(sourceId: string, record: TrafficRecord, timeMs: number): ConnectionEvent {
  return {
    // Fortinet's own dedup tuple for traffic logs, plus the device, so two FortiGates never collide.
    id: `fortigate:${record.devid ?? '-'}:${record.logid ?? '-'}:${record.sessionid ?? '-'}:${String(record.eventtime)}`,
    source: sourceId,
    time: timeMs,
    device: { ip: record.srcip },
    src_endpoint: { ip: record.srcip, port: record.srcport },
    dst_endpoint: { ip: record.dstip, port: record.dstport },
    protocol: record.proto === undefined ? 'unknown' : (PROTOCOLS[record.proto] ?? String(record.proto)),
    direction: 'outbound',
    outcome: outcomeOf(record),
    bytes_out: record.sentbyte,
    bytes_in: record.rcvdbyte,
  };
}
