import type { ConnectionEvent } from '../contracts/connection-event.js';
import { compileCidrList } from '../lib/net.js';
import type { SourcePrevalence } from '../contracts/prevalence.js';
import type { PrevalenceQuery } from './types.js';

type Cut = Pick<PrevalenceQuery, 'minDestinationHosts' | 'maxDestinations'>;
type EventCut = Cut & Pick<PrevalenceQuery, 'hostNetworks'>;

const portKey = (protocol: string, port: number | null) => `${protocol}/${port ?? ''}`;

/** A destination as a vendor reported it: trimmed, host names lower-cased; empty and placeholder values dropped. */
function destinationOf(value: string | undefined): string | undefined {
  const text = value?.trim().toLowerCase();
  return text === undefined || text === '' || text === '-' ? undefined : text;
}

/**
 * A vendor's aggregate rows made into a `SourcePrevalence`: rows that read alike after trimming and lower-casing
 * (`TCP` and `tcp` groups, a name in two cases) keep the larger count, destinations below `minDestinationHosts`
 * are dropped, and the rest are cut to the `maxDestinations` most widespread.
 */
export function finishPrevalence(answer: SourcePrevalence, cut: Cut): SourcePrevalence {
  const ports = new Map<string, SourcePrevalence['ports'][number]>();
  for (const row of answer.ports) {
    const protocol = row.protocol.trim().toLowerCase();
    if (protocol === '') continue;
    const key = portKey(protocol, row.port);
    const hosts = Math.max(ports.get(key)?.hosts ?? 0, row.hosts);
    ports.set(key, { protocol, port: row.port, hosts });
  }
  const destinations = new Map<string, number>();
  for (const row of answer.destinations) {
    const destination = destinationOf(row.destination);
    if (destination !== undefined) destinations.set(destination, Math.max(destinations.get(destination) ?? 0, row.hosts));
  }
  return {
    host_count: answer.host_count,
    ports: [...ports.values()],
    destinations: [...destinations]
      .filter(([, hosts]) => hosts >= cut.minDestinationHosts)
      .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, cut.maxDestinations)
      .map(([destination, hosts]) => ({ destination, hosts })),
    partial: answer.partial,
  };
}

/**
 * Prevalence counted from raw connection events, for log APIs without aggregation (firewalls, Deep Visibility). The
 * host is the event's device name, else its IP (then only from `hostNetworks`, when given); `partial` says whether
 * the read was cut at a cap.
 */
export function prevalenceFromEvents(events: Iterable<ConnectionEvent>, cut: EventCut, partial: boolean): SourcePrevalence {
  const ours = cut.hostNetworks?.length ? compileCidrList(cut.hostNetworks) : undefined;
  const hosts = new Set<string>();
  const ports = new Map<string, { protocol: string; port: number | null; hosts: Set<string> }>();
  const destinations = new Map<string, Set<string>>();
  const tally = (destination: string | undefined, host: string) => {
    const key = destinationOf(destination);
    if (key === undefined) return;
    const seen = destinations.get(key);
    if (seen) seen.add(host);
    else destinations.set(key, new Set([host]));
  };
  for (const event of events) {
    const host = (event.device.hostname ?? event.device.ip ?? event.src_endpoint?.ip)?.toLowerCase();
    if (host === undefined) continue;
    if (ours && event.device.hostname === undefined && !ours.contains(host)) continue;
    hosts.add(host);
    const port = event.dst_endpoint.port ?? null;
    const key = portKey(event.protocol, port);
    const entry = ports.get(key);
    if (entry) entry.hosts.add(host);
    else ports.set(key, { protocol: event.protocol, port, hosts: new Set([host]) });
    tally(event.dst_endpoint.ip, host);
    tally(event.dst_endpoint.hostname, host);
  }
  return finishPrevalence(
    {
      host_count: hosts.size,
      ports: [...ports.values()].map((entry) => ({ protocol: entry.protocol, port: entry.port, hosts: entry.hosts.size })),
      destinations: [...destinations].map(([destination, seen]) => ({ destination, hosts: seen.size })),
      partial,
    },
    cut,
  );
}
