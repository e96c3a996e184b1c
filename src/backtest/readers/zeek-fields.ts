import { at, first, isRecord, text, type Fields } from './fields.js';

/**
 * Where each shape puts a conn.log field, Zeek's own name first:
 * - Zeek's JSON writer: dotted `id.orig_h` (or a nested `id` object);
 * - RockNSM, OTRF and HELK inputs (`Log::default_scope_sep = "_"`): `id_orig_h`, beside `@stream`, `_path`...;
 * - ECS, from Elastic's Zeek integration and Security Onion 2.x: `source.ip`, `zeek.connection.state` or
 *   `connection.state`, nested or dotted. Security Onion's `client.bytes` are payload bytes like Zeek's
 *   `orig_bytes`; Elastic keeps only IP-level `source.bytes`, the fallback. Elastic moves ICMP type and code out of
 *   the port fields.
 */
const PATHS = {
  ts: ['ts', '@timestamp'],
  uid: ['uid', 'zeek.session_id', 'log.id.uid', 'event.id'],
  origH: ['id.orig_h', 'id_orig_h', 'source.ip'],
  origP: ['id.orig_p', 'id_orig_p', 'source.port'],
  respH: ['id.resp_h', 'id_resp_h', 'destination.ip'],
  respP: ['id.resp_p', 'id_resp_p', 'destination.port'],
  proto: ['proto', 'network.transport'],
  state: ['conn_state', 'zeek.connection.state', 'connection.state'],
  history: ['history', 'zeek.connection.history', 'connection.history'],
  localOrig: ['local_orig', 'zeek.connection.local_orig', 'connection.local.originator'],
  localResp: ['local_resp', 'zeek.connection.local_resp', 'connection.local.responder'],
  origPkts: ['orig_pkts', 'client.packets', 'source.packets'],
  origBytes: ['orig_bytes', 'client.bytes', 'source.bytes'],
  respBytes: ['resp_bytes', 'server.bytes', 'destination.bytes'],
  icmpType: ['zeek.connection.icmp.type', 'id.orig_p', 'id_orig_p', 'source.port'],
  icmpCode: ['zeek.connection.icmp.code', 'id.resp_p', 'id_resp_p', 'destination.port'],
} satisfies Record<string, readonly string[]>;

export type ZeekField = keyof typeof PATHS;

/** A conn.log field by its Zeek meaning, whatever the shape of the record. */
export const zeekField = (record: Fields, field: ZeekField): unknown => first(record, ...PATHS[field]);

/** The log a pipeline says the record is from: Zeek's streaming `_path`, RockNSM's `@stream`, the ECS dataset. */
const logOf = (record: Fields) => text(first(record, '_path', '@stream', 'event.dataset', 'data_stream.dataset'))?.toLowerCase();

const CONN_LOGS = new Set(['conn', 'zeek.conn', 'zeek.connection']);

/** False when the record names another Zeek log (dns, http...): a pipeline's export may hold them all. */
export function isConnLog(record: Fields): boolean {
  const log = logOf(record);
  return log === undefined || CONN_LOGS.has(log);
}

/**
 * Whether a JSON record is a Zeek log record in one of the shapes above. An ECS record is Zeek's only when it says
 * so (`event.module`, a zeek dataset, `zeek.*` or `connection.state` fields): winlogbeat's Sysmon records carry
 * `source.ip` and `network.transport` too.
 */
export function isZeekRecord(record: Fields): boolean {
  const hasTime = at(record, 'ts') !== undefined || at(record, '@timestamp') !== undefined;
  if (at(record, 'id.orig_h') !== undefined || at(record, 'id_orig_h') !== undefined) return hasTime;
  const dataset = text(first(record, 'event.dataset', 'data_stream.dataset'))?.toLowerCase();
  return (
    text(at(record, 'event.module'))?.toLowerCase() === 'zeek' ||
    (dataset !== undefined && (dataset === 'conn' || dataset.startsWith('zeek.'))) ||
    isRecord(record.zeek) ||
    Object.keys(record).some((key) => key.startsWith('zeek.')) ||
    at(record, 'connection.state') !== undefined
  );
}
