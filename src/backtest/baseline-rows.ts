import type { BaselineEntry } from '../contracts/connection-event.js';
import type { HostMatcher } from '../contracts/host-identity.js';
import { hostLabel } from '../contracts/host-identity.js';
import type { Sighting } from './sighting.js';

const HOUR = 3_600_000;

/**
 * A row's key, one map level per part (host, process path, name, SHA-1, destination IP, host name, port), the row
 * under its protocol at the last: no key text is joined and hashed per event, only the parts are looked up.
 */
type RowIndex = Map<unknown, RowIndex | BaselineEntry>;

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
  private readonly index: RowIndex = new Map();
  private readonly rows: BaselineEntry[] = [];
  private eventCount = 0;

  constructor(private readonly matchHost: HostMatcher) {}

  get events(): number {
    return this.eventCount;
  }

  add(event: Sighting): void {
    if (event.direction === 'inbound' || event.direction === 'listen') return;
    const watched = this.matchHost.byRef(event.device);
    const host = watched ? hostLabel(watched) : (event.device.hostname ?? event.device.uid ?? event.device.ip);
    if (host === undefined) return;
    const process = event.process;
    const { ip, hostname, port } = event.dst_endpoint;
    this.eventCount += 1;
    let level = this.index;
    for (const part of [host, process?.path, process?.name, process?.sha1, ip, hostname, port]) level = levelUnder(level, part);
    const row = level.get(event.protocol) as BaselineEntry | undefined;
    const hour = Math.floor(event.time / HOUR);
    if (row) {
      row.count += 1;
      row.first_seen = Math.min(row.first_seen, event.time);
      row.last_seen = Math.max(row.last_seen, event.time);
      // Telemetry is mostly in time order: the hour last added is the one to compare first.
      if (row.hours && row.hours[row.hours.length - 1] !== hour && !row.hours.includes(hour) && row.hours.length < MAX_HOURS) row.hours.push(hour);
      return;
    }
    const entry: BaselineEntry = {
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
    };
    level.set(event.protocol, entry);
    this.rows.push(entry);
  }

  entries(): BaselineEntry[] {
    return [...this.rows];
  }
}

function levelUnder(level: RowIndex, part: unknown): RowIndex {
  let next = level.get(part) as RowIndex | undefined;
  if (next === undefined) {
    next = new Map();
    level.set(part, next);
  }
  return next;
}
