import type { ConnectionEvent } from '../../contracts/connection-event.js';
import { at as field, integer, isRecord, port, text } from './fields.js';
import { positionId, recordError, type RecordReader } from './record-reader.js';

export const ZEEK_SOURCE = 'zeek';

/** conn_state values where the responder never answered or refused (Zeek's `conn.log` documentation). */
const FAILED_STATES = new Set(['S0', 'REJ', 'RSTOS0', 'RSTRH', 'SH', 'SHR']);
const ANSWERED_STATES = new Set(['SF', 'S1', 'S2', 'S3', 'RSTO', 'RSTR']);

function outcomeOf(state: string | undefined): ConnectionEvent['outcome'] {
  if (state === undefined) return 'unknown';
  if (FAILED_STATES.has(state)) return 'failure';
  return ANSWERED_STATES.has(state) ? 'success' : 'unknown';
}

/** Epoch seconds past this are epoch milliseconds: 1e11 s is the year 5138, 1e11 ms is 1973. */
const MILLIS_FROM = 1e11;

/**
 * Zeek `ts`: epoch seconds (the default `JSON::TS_EPOCH`), epoch milliseconds (`JSON::TS_MILLIS`) or an ISO 8601
 * string (`JSON::TS_ISO8601`).
 */
function timeOf(value: unknown): number | undefined {
  const raw = text(value);
  if (raw === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) {
    const epoch = Number(raw);
    return Math.round(epoch >= MILLIS_FROM ? epoch : epoch * 1000);
  }
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Zeek `conn.log` JSON lines. A network sensor sees no process: the host is the originator's IP, so the
 * containment request must give each host's `ip`. For ICMP, Zeek puts type and code in the port fields; they are
 * not ports and are dropped.
 */
export function createZeekConnReader(): RecordReader {
  let skipped = 0;
  return {
    get skipped() {
      return skipped;
    },
    read(record, at): ConnectionEvent | undefined {
      if (!isRecord(record)) throw recordError(at, 'not a JSON object');
      const time = timeOf(record.ts);
      if (time === undefined) throw recordError(at, `ts: not a Zeek timestamp (${JSON.stringify(record.ts)})`);
      const origin = text(field(record, 'id.orig_h'));
      const responder = text(field(record, 'id.resp_h'));
      if (origin === undefined || responder === undefined) {
        skipped += 1;
        return undefined;
      }
      const protocol = (text(record.proto) ?? 'unknown').toLowerCase();
      const icmp = protocol.startsWith('icmp');
      const srcPort = icmp ? undefined : port(field(record, 'id.orig_p'));
      const dstPort = icmp ? undefined : port(field(record, 'id.resp_p'));
      if (srcPort === 'invalid' || dstPort === 'invalid') throw recordError(at, 'id.orig_p / id.resp_p: not a port number');
      const bytesOut = integer(record.orig_bytes);
      const bytesIn = integer(record.resp_bytes);
      const uid = text(record.uid);
      return {
        id: uid === undefined ? positionId(at) : `zeek:${uid}`,
        source: ZEEK_SOURCE,
        time,
        device: { ip: origin },
        src_endpoint: { ip: origin, ...(srcPort !== undefined && { port: srcPort }) },
        dst_endpoint: { ip: responder, ...(dstPort !== undefined && { port: dstPort }) },
        protocol,
        direction: 'outbound',
        outcome: outcomeOf(text(record.conn_state)),
        ...(typeof bytesOut === 'number' && { bytes_out: bytesOut }),
        ...(typeof bytesIn === 'number' && { bytes_in: bytesIn }),
      };
    },
    finish: () => [],
  };
}
