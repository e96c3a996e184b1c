import type { ConnectionEvent } from '../contracts/connection-event.js';
import type { EventFacts } from './facts.js';
import { normalizeIp } from './net.js';
import { orStrength, SIGNAL_WEIGHTS as W } from './scoring.js';
import type { Networks } from './settings.js';

/** Application protocols `protocol_shift` reasons about. */
export type AppProtocol = 'dns' | 'http' | 'tls' | 'smb';

/**
 * Names a source may report in `protocol` in place of a transport when it identified the application by content
 * (Zeek `service`, a firewall's app-id); IANA service names are accepted too. A name merely derived from the port
 * (Sysmon's `DestinationPortName`) is no hint. The connection event has no separate application field yet; when it
 * gets one, it feeds the same lookup.
 */
const APP_NAMES: ReadonlyMap<string, AppProtocol> = new Map([
  ['dns', 'dns'],
  ['domain', 'dns'],
  ['http', 'http'],
  ['https', 'tls'],
  ['tls', 'tls'],
  ['ssl', 'tls'],
  ['smb', 'smb'],
  ['microsoft-ds', 'smb'],
  ['netbios-ssn', 'smb'],
]);

/** Ports each application normally uses (Splunk "Protocol or Port Mismatch"); SMB is judged by destination. */
const STANDARD_PORTS: Readonly<Record<Exclude<AppProtocol, 'smb'>, readonly number[]>> = {
  dns: [53],
  http: [80, 8080, 8000],
  tls: [443, 8443],
};

const ICMP = new Set(['icmp', 'icmpv6', 'ipv6-icmp', 'icmp6']);
const DNS_PORT = 53;
const SMB_PORTS = new Set([139, 445]);
/** Elastic's ICMP tunnelling rule starts at 256 bytes; echo requests of ping and PMTU probes stay below. */
export const LARGE_ICMP_BYTES = 256;

/** The application protocol `protocol` names, if it names one. */
export const appProtocolOf = (protocol: string): AppProtocol | undefined => APP_NAMES.get(protocol);

/** What moved off the expected protocol, and how strongly it counts. */
export interface ProtocolShiftSignal {
  strength: number;
  /** DNS to an address that is not a configured resolver: outside the internal ranges, or inside them. */
  dns: 'outside' | 'internal' | undefined;
  /** ICMP to an external destination; `icmpBytes` is its size when the source reports bytes. */
  icmp: boolean;
  icmpBytes: number | undefined;
  /** An application protocol on a port not standard for it. */
  mismatch: Exclude<AppProtocol, 'smb'> | undefined;
  /** SMB to an external destination. */
  smb: boolean;
}

export const emptyProtocolShiftSignal = (): ProtocolShiftSignal => ({
  strength: 0,
  dns: undefined,
  icmp: false,
  icmpBytes: undefined,
  mismatch: undefined,
  smb: false,
});

export type ProtocolShiftJudge = (event: ConnectionEvent, facts: EventFacts, dstInternal: boolean, out: ProtocolShiftSignal) => void;

/**
 * Judges `protocol_shift`: DNS that bypasses the corporate resolvers (only when `networks.resolvers` is set), ICMP
 * and SMB to external destinations (only when `networks.internal` is set: nothing is external otherwise), and
 * DNS/HTTP/TLS on ports not standard for them (only when the telemetry names the application).
 *
 * Known false positive: a domain controller's DNS server recursing to the internet roots; the built-in catalog
 * allows `dns.exe` on port 53 for that reason.
 */
export function createProtocolShiftJudge(networks: Networks, internalRanges: number): ProtocolShiftJudge {
  const resolvers = new Set(networks.resolvers.map(normalizeIp));
  const knowsInternal = internalRanges > 0;
  return (event, facts, dstInternal, out) => {
    out.strength = 0;
    out.dns = undefined;
    out.icmp = false;
    out.icmpBytes = undefined;
    out.mismatch = undefined;
    out.smb = false;
    const { protocol, port, dstIp } = facts;
    const app = appProtocolOf(protocol);
    const transport = protocol === 'tcp' || protocol === 'udp';
    const external = knowsInternal && facts.dstParsed !== undefined && !dstInternal;
    let strength = 0;

    if (resolvers.size > 0 && dstIp !== undefined && !resolvers.has(dstIp) && (app === 'dns' || (transport && port === DNS_PORT))) {
      out.dns = dstInternal ? 'internal' : 'outside';
      strength = orStrength(strength, dstInternal ? W.dnsInternal : W.dnsOutside);
    }
    if (app !== undefined && app !== 'smb' && port !== undefined && !STANDARD_PORTS[app].includes(port)) {
      out.mismatch = app;
      strength = orStrength(strength, W.appPortMismatch);
    }
    if (external && ICMP.has(protocol)) {
      const bytes = event.bytes_out === undefined && event.bytes_in === undefined ? undefined : (event.bytes_out ?? 0) + (event.bytes_in ?? 0);
      out.icmp = true;
      out.icmpBytes = bytes;
      strength = orStrength(strength, bytes !== undefined && bytes >= LARGE_ICMP_BYTES ? W.icmpLarge : W.icmpExternal);
    }
    if (external && (app === 'smb' || (protocol === 'tcp' && port !== undefined && SMB_PORTS.has(port)))) {
      out.smb = true;
      strength = orStrength(strength, W.smbExternal);
    }
    out.strength = strength;
  };
}
