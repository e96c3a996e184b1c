import type { SimConnection } from '../../../dev/scenario/index.js';
import { hash32 } from '../../../dev/scenario/stable-hash.js';
import type { FilterableEntry } from './panos-filter.js';

/** A traffic log `<entry>`: element name to text, in the order PAN-OS writes them. */
export type TrafficEntry = Record<string, string>;

const SERIAL = '013201009876';
/** The firewall's outside address every internal host is NATed to. */
const NAT_ADDRESS = '198.51.100.10';
const APPS: Readonly<Record<number, string>> = { 53: 'dns-base', 88: 'kerberos', 389: 'ldap', 443: 'ssl', 445: 'ms-ds-smb', 3478: 'stun' };

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

const clocks = new Map<string, Intl.DateTimeFormat>();

function clockIn(timeZone: string): Intl.DateTimeFormat {
  let clock = clocks.get(timeZone);
  if (!clock) {
    const fields = { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' } as const;
    clock = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', ...fields });
    clocks.set(timeZone, clock);
  }
  return clock;
}

/** Wall-clock fields of `ms` in `timeZone` and the zone's offset from UTC there, in minutes. */
export function localClock(ms: number, timeZone: string): { text: string; offsetMinutes: number } {
  const parts = Object.fromEntries(clockIn(timeZone).formatToParts(new Date(ms)).map((part) => [part.type, part.value]));
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return {
    text: `${parts.year}/${parts.month}/${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`,
    offsetMinutes: Math.round((asUtc - Math.floor(ms / 1_000) * 1_000) / 60_000),
  };
}

/** `high_res_timestamp`: the local time with milliseconds and the zone's offset. */
function highResTimestamp(ms: number, timeZone: string): string {
  const { text, offsetMinutes } = localClock(ms, timeZone);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const offset = Math.abs(offsetMinutes);
  return `${text.replaceAll('/', '-').replace(' ', 'T')}.${pad(ms % 1_000, 3)}${sign}${pad(Math.floor(offset / 60))}:${pad(offset % 60)}`;
}

export interface EntryOptions {
  timeZone: string;
  /** Older PAN-OS versions have no `high_res_timestamp`. */
  highResTimestamps: boolean;
}

/**
 * How the firewall would log a simulated connection, received by its management plane at `receivedMs` (whole
 * seconds, as `receive_time` keeps them): one session-end entry per connection, the pre-NAT source
 * as `src`; a blocked attempt (the implant retrying the C2 the SOAR blocked) is a policy deny. The sequence number
 * comes from the time and the event id, so the same event always has the same (serial, seqno).
 */
export function toTrafficEntry(connection: SimConnection, options: EntryOptions, receivedMs: number): { entry: TrafficEntry; filterable: FilterableEntry } {
  const seed = hash32(connection.id);
  const denied = connection.outcome === 'failure';
  const local = localClock(connection.time, options.timeZone).text;
  const receiveTime = localClock(receivedMs, options.timeZone).text;
  const app = denied ? 'incomplete' : (APPS[connection.dst.port] ?? (connection.protocol === 'tcp' ? 'ssl' : 'unknown-udp'));
  const action = denied ? 'deny' : 'allow';
  const sent = denied ? 66 : 800 + (seed % 20_000);
  const received = denied ? 0 : 1_200 + (seed % 90_000);
  const entry: TrafficEntry = {
    domain: '1',
    receive_time: receiveTime,
    serial: SERIAL,
    seqno: String(connection.time * 1_000 + (seed % 1_000)),
    type: 'TRAFFIC',
    subtype: denied ? 'deny' : 'end',
    time_generated: local,
    ...(options.highResTimestamps ? { high_res_timestamp: highResTimestamp(connection.time, options.timeZone) } : {}),
    src: connection.host.ip,
    dst: connection.dst.ip,
    natsrc: denied ? '0.0.0.0' : NAT_ADDRESS,
    natdst: denied ? '0.0.0.0' : connection.dst.ip,
    rule: denied ? 'block-c2-soar' : 'allow-outbound',
    app,
    vsys: 'vsys1',
    from: 'trust',
    to: 'untrust',
    sessionid: String(1 + (seed % 900_000)),
    sport: String(49_152 + (seed % 16_000)),
    dport: String(connection.dst.port),
    natsport: denied ? '0' : String(1_024 + (seed % 60_000)),
    natdport: denied ? '0' : String(connection.dst.port),
    proto: connection.protocol,
    action,
    bytes: String(sent + received),
    bytes_sent: String(sent),
    bytes_received: String(received),
    packets: denied ? '1' : String(4 + (seed % 60)),
    session_end_reason: denied ? 'policy-deny' : 'tcp-fin',
    action_source: 'from-policy',
    device_name: 'fw01',
  };
  const filterable: FilterableEntry = {
    'addr.src': connection.host.ip,
    'addr.dst': connection.dst.ip,
    'port.dst': String(connection.dst.port),
    receive_time: receiveTime,
    action,
    app,
    proto: connection.protocol,
  };
  return { entry, filterable };
}
