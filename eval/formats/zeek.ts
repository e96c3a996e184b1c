import type { ConnectionEvent } from '../../src/contracts/connection-event.js';
import { hash32 } from '../../src/dev/scenario/stable-hash.js';

const SERVICES: Readonly<Record<number, string>> = { 53: 'dns', 80: 'http', 443: 'ssl', 88: 'krb', 389: 'ldap', 445: 'smb' };

/** What a Zeek sensor logs of a connection in `conn.log` (JSON writer): no process, the originator's IP only. */
export function* zeekConnLines(events: Iterable<ConnectionEvent>): Generator<string> {
  for (const event of events) {
    if (event.direction === 'inbound') continue;
    const icmp = event.protocol === 'icmp';
    const port = event.dst_endpoint.port;
    const failed = event.outcome === 'failure' || event.outcome === 'blocked';
    yield JSON.stringify({
      ts: event.time / 1000,
      uid: `C${hash32(event.id).toString(36)}${hash32(`${event.id}:2`).toString(36)}`,
      'id.orig_h': event.device.ip,
      'id.orig_p': icmp ? 8 : (event.src_endpoint?.port ?? 50_000),
      'id.resp_h': event.dst_endpoint.ip,
      'id.resp_p': icmp ? 0 : port,
      proto: event.protocol,
      ...(port !== undefined && !icmp && SERVICES[port] !== undefined && !failed && { service: SERVICES[port] }),
      duration: 0.05,
      orig_bytes: event.bytes_out ?? 120,
      resp_bytes: failed ? 0 : 800,
      conn_state: icmp ? 'OTH' : failed ? 'S0' : 'SF',
      local_orig: true,
      local_resp: event.dst_endpoint.ip?.startsWith('10.') ?? false,
      missed_bytes: 0,
      history: icmp ? '' : failed ? 'S' : 'ShADadFf',
      orig_pkts: 1,
      resp_pkts: failed ? 0 : 1,
    });
  }
}
