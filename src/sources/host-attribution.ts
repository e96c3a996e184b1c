import type { BaselineEntry } from '../contracts/connection-event.js';
import { createHostMatcher, hostLabel, type DeviceRef } from '../detect/host-match.js';
import { mergeBaselineEntries } from './event-baseline.js';
import type { HostRef } from './types.js';

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
