import type { ConnectionEvent } from './connection-event.js';
import type { WatchedHost } from './watch.js';
import { firstLabel, normalizeIp } from '../lib/net.js';

/**
 * Who a watched host is. A webhook names a host by hostname, IP and EDR id (at least a hostname or an IP, HostSchema);
 * telemetry names a device by hostname, IP and the vendor's device id, any of them possibly missing. From these:
 * - the key dedupes the hosts of a watch;
 * - the label is what responders read, and what a source records as heard;
 * - the identity is the host's stable id in baselines and finding ids;
 * - the identifiers are every value the webhook gave for the host;
 * - the matcher finds the watched host a device belongs to.
 */

/** How telemetry names a device; any field may be missing. */
export interface DeviceRef {
  uid?: string | undefined;
  hostname?: string | undefined;
  ip?: string | undefined;
}

/** What identifies a host: the identifiers a webhook may give. */
export type HostIdentifiers = Pick<WatchedHost, 'hostname' | 'ip' | 'edr_id'>;

/** Finds the watched host an event belongs to, in O(1): map lookups only, whatever the number of hosts. */
export interface HostMatcher<Host extends HostIdentifiers = WatchedHost> {
  (event: ConnectionEvent): Host | undefined;
  /** The same lookup on a bare device reference (e.g. a baseline row's host). */
  byRef(ref: DeviceRef): Host | undefined;
}

/** The dedupe key of a host in a watch: hosts are one when all three identifiers agree, name and EDR id in any case. */
export function hostKey(host: HostIdentifiers): string {
  return `${host.hostname?.toLowerCase() ?? ''}|${host.ip ?? ''}|${host.edr_id?.toLowerCase() ?? ''}`;
}

/**
 * The identifier a host goes by: its host name as the SOAR sent it, else its IP, else its EDR id. Undefined only for
 * a host that bypassed HostSchema; callers that must show something for one say what.
 */
export function primaryIdentifier(host: HostIdentifiers): string | undefined {
  return host.hostname ?? host.ip ?? host.edr_id;
}

/** What responders read: the identifier the host goes by. */
export function hostLabel<Host extends HostIdentifiers>(host: Host): string {
  return primaryIdentifier(host) ?? 'unknown host';
}

/** The stable identity of a watched host in baselines and finding ids: its label, lower-cased. */
export function hostIdentity<Host extends HostIdentifiers>(host: Host): string {
  return hostLabel(host).toLowerCase();
}

/** Every identifier the webhook gave for a host (hostname, IP, EDR id), lower-cased. */
export function identifiersOf(host: HostIdentifiers): string[] {
  return [host.hostname, host.ip, host.edr_id].filter((name): name is string => name !== undefined).map((name) => name.toLowerCase());
}

/**
 * Matches case-insensitively by EDR device id, then by host name (exact, or by first DNS label on either side, so
 * "FIN-WS-042" and "fin-ws-042.corp.example" are one host, while two different FQDNs never are), then by IP.
 * A short name shared by two watched hosts matches neither: the FQDN, id or IP must decide.
 */
export function createHostMatcher<Host extends HostIdentifiers>(hosts: readonly Host[]): HostMatcher<Host> {
  const byUid = new Map<string, Host>();
  const byName = new Map<string, Host>();
  const byLabel = new Map<string, Host | null>();
  const byIp = new Map<string, Host>();
  for (const host of hosts) {
    if (host.edr_id !== undefined) setFirst(byUid, host.edr_id.toLowerCase(), host);
    if (host.ip !== undefined) setFirst(byIp, normalizeIp(host.ip), host);
    if (host.hostname !== undefined) {
      const name = host.hostname.toLowerCase();
      setFirst(byName, name, host);
      const label = firstLabel(name);
      const other = byLabel.get(label);
      byLabel.set(label, other === undefined || other === host ? host : null);
    }
  }

  const byHostname = (hostname: string): Host | undefined => {
    const name = hostname.toLowerCase();
    const exact = byName.get(name);
    if (exact) return exact;
    const candidate = byLabel.get(firstLabel(name));
    if (!candidate) return undefined;
    return name.includes('.') && candidate.hostname?.includes('.') === true ? undefined : candidate;
  };

  const byRef = (ref: DeviceRef): Host | undefined => {
    if (ref.uid !== undefined && byUid.size > 0) {
      const hit = byUid.get(ref.uid) ?? byUid.get(ref.uid.toLowerCase());
      if (hit) return hit;
    }
    if (ref.hostname !== undefined && ref.hostname !== '') {
      const hit = byHostname(ref.hostname);
      if (hit) return hit;
    }
    if (ref.ip !== undefined && byIp.size > 0) return byIp.get(normalizeIp(ref.ip));
    return undefined;
  };

  return Object.assign((event: ConnectionEvent) => byRef(event.device), { byRef });
}

function setFirst<K, V>(map: Map<K, V>, key: K, value: V): void {
  if (!map.has(key)) map.set(key, value);
}
