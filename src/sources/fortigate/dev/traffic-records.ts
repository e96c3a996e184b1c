import type { SimConnection } from '../../../dev/scenario/index.js';
import { hash32 } from '../../../dev/scenario/stable-hash.js';
import type { FilterableRecord } from './forti-filter.js';

/** A forward-traffic log record as the log API serialises it. `eventtime` is kept as digits: see `recordsJson`. */
export type TrafficRecord = Record<string, string | number | Record<string, string | number>>;

const DEVICE = { devname: 'FGT60F-EDGE', devid: 'FGT60FTK2209A1B2' };
const NAT_ADDRESS = '198.51.100.20';
const SERVICES: Readonly<Record<number, string>> = { 53: 'DNS', 88: 'KERBEROS', 389: 'LDAP', 443: 'HTTPS', 445: 'SMB', 3478: 'udp/3478' };

export interface RecordOptions {
  /** How `eventtime` is written: nanoseconds (FortiOS 6.2 and later), microseconds or seconds. */
  eventtimeUnit: 'ns' | 'us' | 's';
}

/** The epoch of `ms` in `unit`, as digits; sub-millisecond digits come from the event id. */
function eventtime(ms: number, seed: number, unit: RecordOptions['eventtimeUnit']): string {
  if (unit === 's') return String(Math.floor(ms / 1_000));
  if (unit === 'us') return String(BigInt(ms) * 1_000n + BigInt(seed % 1_000));
  // Any nanosecond of the millisecond, its last ones included, where a client reading the digits as a double lands
  // in the next millisecond.
  return String(BigInt(ms) * 1_000_000n + BigInt(seed % 1_000_000));
}

/**
 * How the FortiGate would log a simulated connection: one forward-traffic record at session end, `srcip` the
 * internal host; a blocked attempt (the implant retrying the C2 the SOAR blocked) is a policy deny.
 */
export function toTrafficRecord(connection: SimConnection, options: RecordOptions): { record: TrafficRecord; filterable: FilterableRecord } {
  const seed = hash32(connection.id);
  const denied = connection.outcome === 'failure';
  const iso = new Date(connection.time).toISOString();
  const action = denied ? 'deny' : 'close';
  const policyid = denied ? 7 : 1;
  const record: TrafficRecord = {
    date: iso.slice(0, 10),
    time: iso.slice(11, 19),
    eventtime: eventtime(connection.time, seed, options.eventtimeUnit),
    tz: '+0000',
    logid: '0000000013',
    type: 'traffic',
    subtype: 'forward',
    level: denied ? 'warning' : 'notice',
    vd: 'root',
    srcip: connection.host.ip,
    srcport: 49_152 + (seed % 16_000),
    srcintf: 'internal',
    srcintfrole: 'lan',
    dstip: connection.dst.ip,
    dstport: connection.dst.port,
    dstintf: 'wan1',
    dstintfrole: 'wan',
    sessionid: 1 + (seed % 90_000_000),
    proto: connection.protocol === 'tcp' ? 6 : 17,
    action,
    policyid,
    policytype: 'policy',
    policyname: denied ? 'block-c2-soar' : 'lan-to-wan',
    service: SERVICES[connection.dst.port] ?? `${connection.protocol}/${connection.dst.port}`,
    trandisp: denied ? 'noop' : 'snat',
    ...(denied ? {} : { transip: NAT_ADDRESS, transport: 1_024 + (seed % 60_000) }),
    duration: denied ? 0 : 1 + (seed % 300),
    sentbyte: denied ? 0 : 800 + (seed % 20_000),
    rcvdbyte: denied ? 0 : 1_200 + (seed % 90_000),
    sentpkt: denied ? 0 : 4 + (seed % 60),
    rcvdpkt: denied ? 0 : 4 + (seed % 80),
    appcat: 'unscanned',
    ...DEVICE,
    _metadata: { timestamp: connection.time, roll: 0, logid: 13 },
  };
  const filterable: FilterableRecord = {
    srcip: connection.host.ip,
    dstip: connection.dst.ip,
    dstport: String(connection.dst.port),
    action,
    policyid: String(policyid),
    '_metadata.timestamp': String(connection.time),
  };
  return { record, filterable };
}

/** The body as FortiOS writes it: `eventtime` as a bare 19-digit JSON number, more digits than a double keeps. */
export function recordsJson(envelope: Record<string, unknown>): string {
  return JSON.stringify(envelope).replace(/"eventtime":"(\d+)"/g, '"eventtime":$1');
}
