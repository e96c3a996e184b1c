import type { ConnectionEvent } from '../../contracts/connection-event.js';
import { flag, integer, isRecord, optional, port, text, type Fields } from './fields.js';
import { positionId, recordError, type RecordPosition, type RecordReader } from './record-reader.js';
import { isConnLog, zeekField } from './zeek-fields.js';

export const ZEEK_SOURCE = 'zeek';

/** conn_state values of a flow that never completed: unanswered, refused, or given up (Zeek's `conn.log` docs). */
const FAILED_STATES = new Set(['S0', 'REJ', 'RSTOS0', 'SH']);
const ANSWERED_STATES = new Set(['SF', 'S1', 'S2', 'S3', 'RSTO', 'RSTR']);
/** TCP or UDP states where only the responder was seen, or the flow midstream: who started it is unknown. */
const NOT_INITIATED_STATES = new Set(['SHR', 'RSTRH', 'OTH']);

const SKIP_OTHER_LOG = 'not a conn.log record';
const SKIP_NO_ADDRESS = 'no originator or responder address';
const SKIP_NOT_INITIATED = 'not initiated by the originator';

function outcomeOf(state: string | undefined): ConnectionEvent['outcome'] {
  if (state === undefined) return 'unknown';
  if (FAILED_STATES.has(state)) return 'failure';
  return ANSWERED_STATES.has(state) ? 'success' : 'unknown';
}

/**
 * Whether the originator started the flow, as Zeek saw it. In `history` upper case is the originator's packet,
 * lower case the responder's; a leading `^` says Zeek swapped the two by heuristic, the letters are already
 * swapped. TCP needs the originator's SYN (`S`), UDP a packet from it (`D` or `orig_pkts`); an originator that
 * sent no packet started nothing, whatever the protocol. Without history or counters, the state decides.
 */
function initiatedByOriginator(protocol: string, state: string | undefined, history: string | undefined, origPkts: number | undefined): boolean {
  if (origPkts === 0) return false;
  const letters = history?.replace(/^\^/, '');
  if (letters !== undefined && !/[A-Z]/.test(letters)) return false;
  if (protocol !== 'tcp' && protocol !== 'udp') return true;
  if (state !== undefined && NOT_INITIATED_STATES.has(state)) return false;
  if (letters === undefined) return true;
  return protocol === 'tcp' ? letters.includes('S') : letters.includes('D') || (origPkts ?? 0) > 0;
}

/** ICMPv4 error and redirect messages: destination unreachable, source quench, redirect, time exceeded, parameter problem. */
const ICMP4_ERRORS = new Set([3, 4, 5, 11, 12]);

/**
 * ICMP type and code from the port fields. Zeek writes the message type as the originator's port; the responder's
 * port holds the code only for error messages (ICMPv6 types below 128): for a request or reply it holds the
 * counterpart type (8 for an echo reply, 0 for an echo request), which is no code.
 */
function icmpOf(record: Fields, at: RecordPosition, v6: boolean): ConnectionEvent['icmp'] {
  const type = integer(zeekField(record, 'icmpType'));
  const code = integer(zeekField(record, 'icmpCode'));
  if (type === 'invalid' || (type ?? 0) > 255) throw recordError(at, 'ICMP type (id.orig_p): not a number from 0 to 255');
  if (code === 'invalid' || (code ?? 0) > 255) throw recordError(at, 'ICMP code (id.resp_p): not a number from 0 to 255');
  if (type === undefined) return undefined;
  const isError = v6 ? type < 128 : ICMP4_ERRORS.has(type);
  return { type, ...optional('code', isError ? code : undefined) };
}

/** Epoch seconds past this are epoch milliseconds: 1e11 s is the year 5138, 1e11 ms is 1973. */
const MILLIS_FROM = 1e11;

/**
 * Zeek `ts`: epoch seconds (the default `JSON::TS_EPOCH`), epoch milliseconds (`JSON::TS_MILLIS`) or an ISO 8601
 * string (`JSON::TS_ISO8601`, and ECS `@timestamp`).
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

function count(record: Fields, field: 'origPkts' | 'origBytes' | 'respBytes'): number | undefined {
  const value = integer(zeekField(record, field));
  return typeof value === 'number' ? value : undefined;
}

/**
 * Zeek `conn.log` records (JSON lines in Zeek's, the flattened `id_orig_h` or the ECS shape; TSV). A network sensor
 * sees no process: the host is an address, so the containment request must give each host's `ip`. A flow is the
 * originator's outbound connection only when the originator started it; flows Zeek saw only from the responder's
 * side or midstream are skipped. A flow from outside to a local host, by Zeek's `local_orig`/`local_resp`, is the
 * responder's inbound connection.
 */
export function createZeekConnReader(): RecordReader {
  const reasons = new Map<string, number>();
  const skip = (reason: string) => {
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    return undefined;
  };
  return {
    get skipped() {
      let total = 0;
      for (const value of reasons.values()) total += value;
      return total;
    },
    skipReasons: reasons,
    read(record, at): ConnectionEvent | undefined {
      if (!isRecord(record)) throw recordError(at, 'not a JSON object');
      if (!isConnLog(record)) return skip(SKIP_OTHER_LOG);
      const stamp = zeekField(record, 'ts');
      const time = timeOf(stamp);
      if (time === undefined) throw recordError(at, `ts: not a Zeek timestamp (${JSON.stringify(stamp ?? null)})`);
      const origin = text(zeekField(record, 'origH'));
      const responder = text(zeekField(record, 'respH'));
      if (origin === undefined || responder === undefined) return skip(SKIP_NO_ADDRESS);

      const transport = (text(zeekField(record, 'proto')) ?? 'unknown').toLowerCase();
      const v6 = origin.includes(':');
      const icmp = transport.includes('icmp');
      // Zeek logs ICMPv6 as "icmp"; the address family tells them apart.
      const protocol = transport === 'icmp' && v6 ? 'icmpv6' : transport;
      const state = text(zeekField(record, 'state'))?.toUpperCase();
      const origPkts = count(record, 'origPkts');
      if (!initiatedByOriginator(transport, state, text(zeekField(record, 'history')), origPkts)) return skip(SKIP_NOT_INITIATED);

      const srcPort = icmp ? undefined : port(zeekField(record, 'origP'));
      const dstPort = icmp ? undefined : port(zeekField(record, 'respP'));
      if (srcPort === 'invalid' || dstPort === 'invalid') throw recordError(at, 'id.orig_p / id.resp_p: not a port number');
      const inbound = flag(zeekField(record, 'localOrig')) === false && flag(zeekField(record, 'localResp')) === true;
      const uid = text(zeekField(record, 'uid'));
      return {
        id: uid === undefined ? positionId(at) : `zeek:${uid}`,
        source: ZEEK_SOURCE,
        time,
        device: { ip: inbound ? responder : origin },
        src_endpoint: { ip: origin, ...optional('port', srcPort) },
        dst_endpoint: { ip: responder, ...optional('port', dstPort) },
        protocol,
        ...optional('icmp', icmp ? icmpOf(record, at, v6) : undefined),
        direction: inbound ? 'inbound' : 'outbound',
        // Zeek gives every flow other than TCP and UDP the state OTH: it says nothing of an ICMP exchange.
        outcome: icmp ? 'unknown' : outcomeOf(state),
        ...optional('bytes_out', count(record, 'origBytes')),
        ...optional('bytes_in', count(record, 'respBytes')),
      };
    },
    finish: () => [],
  };
}
