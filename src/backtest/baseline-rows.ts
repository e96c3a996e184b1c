import type { BaselineEntry, ConnectionEvent } from '../contracts/connection-event.js';
import type { HostMatcher } from '../contracts/host-identity.js';
import { hostLabel } from '../contracts/host-identity.js';

const HOUR = 3_600_000;

/** A key part that tells an absent field from every value (telemetry text holds no NUL). */
const part = (value: string | number | undefined) => (value === undefined ? '\u0001' : value);
/** Distinct hours kept per row: a few weeks, hourly; more adds nothing to how deep the baseline is. */
const MAX_HOURS = 1_000;

/**
 * Aggregates pre-block events into the rows a source's baseline query returns: one per (host, process, sha1,
 * destination, port, protocol), with a count, first/last seen and the hours it was seen in (how much telemetry
 * the baseline holds). Inbound and listening sockets are not network
 * history of a process, as in the connectors' baseline queries. A watched host's rows carry its label, so
 * `buildBaseline` finds it again whatever the telemetry called the device.
 */
export class BaselineRows {
  private readonly rows = new Map<string, BaselineEntry>();
  private eventCount = 0;

  constructor(private readonly matchHost: HostMatcher) {}

  get events(): number {
    return this.eventCount;
  }

  add(event: ConnectionEvent): void {
    if (event.direction === 'inbound' || event.direction === 'listen') return;
    const watched = this.matchHost(event);
    const host = watched ? hostLabel(watched) : (event.device.hostname ?? event.device.uid ?? event.device.ip);
    if (host === undefined) return;
    const process = event.process;
    const { ip, hostname, port } = event.dst_endpoint;
    const key = `${host}\u0000${part(process?.path)}\u0000${part(process?.name)}\u0000${part(process?.sha1)}\u0000${part(ip)}\u0000${part(hostname)}\u0000${part(port)}\u0000${event.protocol}`;
    this.eventCount += 1;
    const row = this.rows.get(key);
    const hour = Math.floor(event.time / HOUR);
    if (row) {
      row.count += 1;
      row.first_seen = Math.min(row.first_seen, event.time);
      row.last_seen = Math.max(row.last_seen, event.time);
      // Telemetry is mostly in time order: the hour last added is the one to compare first.
      if (row.hours && row.hours[row.hours.length - 1] !== hour && !row.hours.includes(hour) && row.hours.length < MAX_HOURS) row.hours.push(hour);
      return;
    }
    this.rows.set(key, {
      host,
      ...(process?.path !== undefined && { process_path: process.path }),
      ...(process?.name !== undefined && { process_name: process.name }),
      ...(process?.sha1 !== undefined && { sha1: process.sha1 }),
      ...(ip !== undefined && { dst_ip: ip }),
      ...(hostname !== undefined && { dst_hostname: hostname }),
      ...(port !== undefined && { dst_port: port }),
      protocol: event.protocol,
      count: 1,
      first_seen: event.time,
      last_seen: event.time,
      hours: [hour],
    });
  }

  entries(): BaselineEntry[] {
    return [...this.rows.values()];
  }
}
