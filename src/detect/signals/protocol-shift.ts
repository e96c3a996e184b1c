import type { ConnectionEvent } from '../../contracts/connection-event.js';
import { normalizeIp } from '../../lib/net.js';
import { isInstalledImage } from '../lolbins.js';
import * as reasons from '../reasons.js';
import { orStrength, SIGNAL_WEIGHTS as W } from '../scoring.js';
import type { SignalFactory } from './signal.js';

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
const ICMPV6 = new Set(['icmpv6', 'ipv6-icmp', 'icmp6']);
/** ICMPv4 errors and routing notes (RFC 792, 1812): unreachable, source quench, redirect, time exceeded, parameter problem. */
const ICMPV4_ERRORS = new Set([3, 4, 5, 11, 12]);
/** Replies answer someone else's query: echo, timestamp, information, address mask (ICMPv4); echo reply (ICMPv6). */
const ICMPV4_REPLIES = new Set([0, 14, 16, 18]);
const ICMPV6_ECHO_REPLY = 129;
const DNS_PORT = 53;
const SMB_PORTS = new Set([139, 445]);
/** Remote administration: the RPC endpoint mapper, SMB (service control, admin shares), WinRM. */
const REMOTE_ADMIN_PORTS: ReadonlyMap<number, string> = new Map([
  [135, 'RPC'],
  [139, 'SMB'],
  [445, 'SMB'],
  [5985, 'WinRM'],
  [5986, 'WinRM'],
]);
/** Elastic's ICMP tunnelling rule starts at 256 bytes; echo requests of ping and PMTU probes stay below. */
export const LARGE_ICMP_BYTES = 256;

/** The application protocol `protocol` names, if it names one. */
export const appProtocolOf = (protocol: string): AppProtocol | undefined => APP_NAMES.get(protocol);

/**
 * Whether an ICMP message answers someone else's packet: an error (destination unreachable, time exceeded, ...) or
 * a reply. Such a message is not a channel the host opened, however far it goes. ICMPv6 types below 128 are errors
 * (RFC 4443).
 */
export function isIcmpAnswer(event: ConnectionEvent, protocol: string): boolean {
  const type = event.icmp?.type;
  if (type === undefined) return false;
  if (ICMPV6.has(protocol)) return type < 128 || type === ICMPV6_ECHO_REPLY;
  return ICMPV4_ERRORS.has(type) || ICMPV4_REPLIES.has(type);
}

/**
 * `protocol_shift`: DNS that bypasses the corporate resolvers (only when `networks.resolvers` is set), ICMP and SMB
 * to external destinations (only when `networks.internal` is set: nothing is external otherwise; ICMP errors and
 * replies never count), DNS/HTTP/TLS on ports not standard for them (only when the telemetry names the
 * application), and remote administration (RPC, SMB, WinRM) from a binary outside the folders Windows and installers
 * own.
 *
 * Known false positive: a domain controller's DNS server recursing to the internet roots; the built-in catalog
 * allows `dns.exe` on port 53 for that reason.
 */
export const protocolShiftSignal: SignalFactory = ({ settings, internal }) => {
  const resolvers = new Set(settings.networks.resolvers.map(normalizeIp));
  const knowsInternal = internal.size > 0;
  return {
    kind: 'protocol_shift',
    judge({ event, facts, dstInternal, hostBaseline }) {
      const { protocol, port, dstIp } = facts;
      const app = appProtocolOf(protocol);
      const transport = protocol === 'tcp' || protocol === 'udp';
      const external = knowsInternal && facts.dstParsed !== undefined && !dstInternal;
      const target = event.dst_endpoint.ip ?? dstIp ?? 'the destination';
      let strength = 0;
      const why: string[] = [];

      if (resolvers.size > 0 && dstIp !== undefined && !resolvers.has(dstIp) && (app === 'dns' || (transport && port === DNS_PORT))) {
        strength = orStrength(strength, dstInternal ? W.dnsInternal : W.dnsOutside);
        why.push(reasons.dnsShiftReason(target, dstInternal ? 'internal' : 'outside'));
      }
      if (app !== undefined && app !== 'smb' && port !== undefined && !STANDARD_PORTS[app].includes(port)) {
        strength = orStrength(strength, W.appPortMismatch);
        why.push(reasons.appPortReason(app, protocol, port));
      }
      if (external && ICMP.has(protocol) && !isIcmpAnswer(event, protocol)) {
        const bytes = event.bytes_out === undefined && event.bytes_in === undefined ? undefined : (event.bytes_out ?? 0) + (event.bytes_in ?? 0);
        const large = bytes !== undefined && bytes >= LARGE_ICMP_BYTES;
        strength = orStrength(strength, large ? W.icmpLarge : W.icmpExternal);
        why.push(reasons.icmpReason(target, bytes, large));
      }
      if (external && (app === 'smb' || (protocol === 'tcp' && port !== undefined && SMB_PORTS.has(port)))) {
        strength = orStrength(strength, W.smbExternal);
        why.push(reasons.smbReason(target, protocol, port));
      }
      // Windows speaks these protocols from its own binaries (System, svchost, lsass, services, mmc...); a binary
      // that no installer put in place, and that never spoke it here before, driving another host's service manager
      // or shell is moving laterally.
      const admin = protocol === 'tcp' && port !== undefined ? REMOTE_ADMIN_PORTS.get(port) : undefined;
      if (
        admin !== undefined &&
        facts.path !== undefined &&
        !isInstalledImage(facts.path) &&
        hostBaseline?.processUsedPort(facts.processKey, protocol, port) !== true
      ) {
        strength = orStrength(strength, W.remoteAdminFromUninstalled);
        why.push(reasons.remoteAdminReason(event.process?.path ?? facts.path, admin, target));
      }
      return strength > 0 ? { strength, reasons: why } : undefined;
    },
  };
};
