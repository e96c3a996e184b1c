import type { BaselineEntry, ConnectionEvent } from '../contracts/connection-event.js';

const baselineKey = (entry: BaselineEntry) =>
  JSON.stringify([entry.host.toLowerCase(), entry.process_path, entry.process_name, entry.sha1, entry.dst_ip, entry.dst_hostname, entry.dst_port, entry.protocol]);

/**
 * Entries that normalize alike become one, counts added, first/last widened: a vendor's `TCP` and `tcp` groups,
 * MDE's `Tcp` and `TcpV4`, a URL and its bare host, Falcon's unset hash sent as "" and as zeros.
 */
export function mergeBaselineEntries(entries: Iterable<BaselineEntry>): BaselineEntry[] {
  const merged = new Map<string, BaselineEntry>();
  for (const entry of entries) {
    const key = baselineKey(entry);
    const seen = merged.get(key);
    merged.set(
      key,
      seen
        ? {
            ...seen,
            count: seen.count + entry.count,
            first_seen: Math.min(seen.first_seen, entry.first_seen),
            last_seen: Math.max(seen.last_seen, entry.last_seen),
          }
        : entry,
    );
  }
  return [...merged.values()];
}

/**
 * A baseline built from raw connection events, for vendors whose log API has no aggregation (firewalls): one
 * entry per (host, process, destination, port, protocol). The host is the event's device name, else its IP.
 */
export function baselineFromEvents(events: Iterable<ConnectionEvent>): BaselineEntry[] {
  const entries: BaselineEntry[] = [];
  for (const event of events) {
    const host = event.device.hostname ?? event.device.ip ?? event.src_endpoint?.ip;
    if (host === undefined) continue;
    entries.push({
      host,
      process_path: event.process?.path,
      process_name: event.process?.name,
      sha1: event.process?.sha1,
      dst_ip: event.dst_endpoint.ip,
      dst_hostname: event.dst_endpoint.hostname,
      dst_port: event.dst_endpoint.port,
      protocol: event.protocol,
      count: 1,
      first_seen: event.time,
      last_seen: event.time,
    });
  }
  return mergeBaselineEntries(entries);
}
