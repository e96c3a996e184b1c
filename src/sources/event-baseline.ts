import type { BaselineEntry, ConnectionEvent } from '../contracts/connection-event.js';
import { createHostMatcher, hostLabel, type DeviceRef } from '../contracts/host-identity.js';
import type { HostRef } from './types.js';

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

/** A vendor's aggregate row with every identifier the vendor reported for its device. */
export interface DeviceRow {
  device: DeviceRef;
  entry: BaselineEntry;
}

/**
 * Names each baseline row as the watch names the asked host it belongs to (host name, else IP, else EDR id), found by
 * every identifier of the row's device through the watch's own matcher: a vendor that groups by device name still
 * delivers the history of a host the webhook gave only by IP or id. A row of no asked host keeps the vendor's name
 * (it counts towards prevalence only). Rows that then read alike are merged.
 */
export function attributeBaseline(hosts: readonly HostRef[], rows: Iterable<DeviceRow>): BaselineEntry[] {
  const matchHost = createHostMatcher(hosts);
  const entries: BaselineEntry[] = [];
  for (const { device, entry } of rows) {
    const host = matchHost.byRef(device);
    entries.push(host ? { ...entry, host: hostLabel(host) } : entry);
  }
  return mergeBaselineEntries(entries);
}

/**
 * A baseline built from raw connection events, for vendors whose log API has no aggregation (firewalls, Deep
 * Visibility): one entry per (host, process, destination, port, protocol), attributed to the asked hosts as
 * `attributeBaseline` does. A device is known by its name, id and IP, else by the connection's source IP.
 */
export function baselineFromEvents(hosts: readonly HostRef[], events: Iterable<ConnectionEvent>): BaselineEntry[] {
  const rows: DeviceRow[] = [];
  for (const event of events) {
    const device = { ...event.device, ip: event.device.ip ?? event.src_endpoint?.ip };
    const host = device.hostname ?? device.ip ?? device.uid;
    if (host === undefined) continue;
    rows.push({
      device,
      entry: {
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
      },
    });
  }
  return attributeBaseline(hosts, rows);
}
