import { isIP } from 'node:net';
import type { PrevalenceSnapshot } from '../contracts/prevalence.js';
import { SortedCounts } from './sorted-keys.js';
import { isLoopbackOrLinkLocal, isMulticastOrBroadcast, normalizeHostname, normalizeIp } from '../lib/net.js';

/**
 * One source's estate-wide prevalence read as lookups. It depends on the read alone (not on any watch), so one
 * compiled read serves every watch whose baseline references it.
 */
export interface CompiledEstate {
  readonly source: string;
  /** The read's id in the prevalence store. */
  readonly id: string;
  readonly hostCount: number;
  /** On how many of the estate's hosts this port/protocol was seen. */
  portHosts(protocol: string, port: number | undefined): number;
  /** On how many of the estate's hosts this normalized destination IP or host name was contacted. */
  destinationHosts(destination: string): number;
  /** The read's own instance of a destination it counts, for baselines to share rather than hold a copy. */
  heldDestination(destination: string): string | undefined;
}

/** An estate read's destination as [ip, undefined] or [undefined, host name], normalized like baseline rows. */
export function estateDestination(text: string): [string | undefined, string | undefined] | undefined {
  if (isIP(text) !== 0) return [normalizeIp(text), undefined];
  const hostname = normalizeHostname(text);
  return hostname === undefined ? undefined : [undefined, hostname];
}

/** Loopback, link-local and multicast destinations are never evidence of normal, however many hosts use them. */
export const isNeverNormalDestination = (ip: string | undefined): boolean =>
  ip !== undefined && (isLoopbackOrLinkLocal(ip) || isMulticastOrBroadcast(ip));

const NO_PORT = -1;

/** Compiles a read the way `buildBaseline` merged it: per key, the largest count the read reports. */
export function compileEstate(id: string, read: PrevalenceSnapshot): CompiledEstate {
  const ports = new Map<string, Map<number, number>>();
  for (const row of read.ports) {
    const protocol = row.protocol.toLowerCase();
    let byPort = ports.get(protocol);
    if (!byPort) ports.set(protocol, (byPort = new Map()));
    const port = row.port ?? NO_PORT;
    byPort.set(port, Math.max(byPort.get(port) ?? 0, row.hosts));
  }
  const counted: [string, number][] = [];
  for (const row of read.destinations) {
    const destination = estateDestination(row.destination);
    if (destination === undefined || isNeverNormalDestination(destination[0])) continue;
    counted.push([destination[0] ?? destination[1] ?? '', row.hosts]);
  }
  const destinations = SortedCounts.of(counted, Math.max);
  return {
    source: read.source,
    id,
    hostCount: read.host_count,
    portHosts: (protocol, port) => ports.get(protocol)?.get(port ?? NO_PORT) ?? 0,
    destinationHosts: (destination) => destinations.get(destination) ?? 0,
    heldDestination: (destination) => destinations.held(destination),
  };
}
