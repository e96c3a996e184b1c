import { IpSchema } from '../contracts/common.js';
import type { ConnectionEvent } from '../contracts/connection-event.js';
import type { HostRef, HostVisibility } from './types.js';
import { batches } from './batches.js';

/**
 * Host identity for sources that only see addresses (firewalls): traffic is logged per source IP, with no host
 * name, EDR id or process. A host is matched by its IP alone; a host given without one cannot be seen.
 */

/** The host's IP when it is a well-formed IPv4 or IPv6 address, else undefined. Only such values reach a query. */
export function hostIp(host: HostRef): string | undefined {
  const ip = host.ip?.trim();
  return ip !== undefined && IpSchema.safeParse(ip).success ? ip : undefined;
}

/** The distinct valid IPs of `hosts`, in batches of at most `size`. */
export function ipBatches(hosts: readonly HostRef[], size: number): string[][] {
  return batches([...new Set(hosts.map(hostIp).filter((ip): ip is string => ip !== undefined))], size);
}

/** Which hosts a firewall source can see: those with a valid IP, and why the others cannot be. */
export function visibilityByIp(hosts: readonly HostRef[], vendor: string): HostVisibility[] {
  return hosts.map((host) => {
    if (hostIp(host)) return { host, visible: true };
    const reason =
      host.ip === undefined || host.ip.trim() === ''
        ? `${vendor} logs traffic by IP address only; no ip was given for this host`
        : `${vendor} logs traffic by IP address only; the ip given is not a valid IPv4 or IPv6 address`;
    return { host, visible: false, reason };
  });
}

/** `read` once per batch of the hosts' IPs; a session two batches both return is kept once. */
export async function readIpBatches(
  hosts: readonly HostRef[],
  size: number,
  read: (ips: string[]) => Promise<ConnectionEvent[]>,
): Promise<ConnectionEvent[]> {
  const events = new Map<string, ConnectionEvent>();
  for (const ips of ipBatches(hosts, size)) {
    for (const event of await read(ips)) events.set(event.id, event);
  }
  return [...events.values()];
}
