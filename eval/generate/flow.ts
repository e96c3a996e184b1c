import type { ConnectionEvent } from '../../src/contracts/connection-event.js';
import { hash32, unitFraction } from '../../src/dev/scenario/stable-hash.js';

export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** A simulated device as telemetry names it. */
export interface SimDevice {
  hostname: string;
  fqdn: string;
  ip: string;
  uid: string;
}

/** A process image on a device: what the event's `process` holds. */
export type SimProcess = NonNullable<ConnectionEvent['process']>;

export interface SimDestination {
  ip: string;
  port?: number;
  hostname?: string;
}

/**
 * A recurring connection pattern: slot k of `periodMs` yields at most one event, at a fixed offset inside the slot
 * (`jitter` of the period), with probability `chance`. Everything derives from `key` and the slot, so the same
 * flow gives the same events whatever range is asked.
 */
export interface Flow {
  key: string;
  device: SimDevice;
  process: SimProcess;
  protocol: string;
  direction?: ConnectionEvent['direction'];
  outcome?: ConnectionEvent['outcome'];
  periodMs: number;
  /** Share of the period an event may drift from its slot start: about 0.1 for beacons, 1 for background. */
  jitter: number;
  /** Probability that a slot holds an event. Default 1. */
  chance?: number;
  /** Local hours [from, to) when the flow is active (office hours), UTC here. Default all day. */
  hours?: readonly [number, number];
  activeFrom?: number;
  activeTo?: number;
  destination(slot: number): SimDestination;
  bytesOut?(slot: number): number;
  /**
   * When the connecting process started, for an event at `time`: the host's last boot for a service, the day's
   * logon for a user's application, a moment before the connection for a task that runs, connects and exits.
   */
  startedAt?(time: number): number;
}

/**
 * Longer ranges are read thinned for regular flows (one event per `THIN_PERIOD_MS` at most), so a 7-day baseline of
 * hundreds of hosts stays cheap: the baseline keeps tuples, not counts. Flows that fire by chance are never thinned,
 * or rare traffic would vanish from the baseline.
 */
export const THIN_PERIOD_MS = HOUR;

export interface FlowRange {
  from: number;
  to: number;
  thin?: boolean;
}

/** The events of `flow` in [from, to), in time order. */
export function* flowEvents(flow: Flow, range: FlowRange): Generator<ConnectionEvent> {
  const start = Math.max(range.from, flow.activeFrom ?? range.from);
  const end = Math.min(range.to, flow.activeTo ?? range.to);
  if (end <= start) return;
  const chance = flow.chance ?? 1;
  const stride = range.thin && chance >= 1 ? Math.max(1, Math.floor(THIN_PERIOD_MS / flow.periodMs)) : 1;
  const firstSlot = Math.ceil(Math.floor(start / flow.periodMs) / stride) * stride;
  for (let slot = firstSlot; slot * flow.periodMs < end; slot += stride) {
    const seed = `${flow.key}#${slot}`;
    if (chance < 1 && unitFraction(`${seed}:chance`) >= chance) continue;
    const time = slot * flow.periodMs + Math.floor(unitFraction(seed) * flow.jitter * flow.periodMs);
    if (time < start || time >= end) continue;
    if (flow.hours) {
      const hour = Math.floor((time % DAY) / HOUR);
      if (hour < flow.hours[0] || hour >= flow.hours[1]) continue;
    }
    const dst = flow.destination(slot);
    const bytes = flow.bytesOut?.(slot);
    const started = flow.startedAt?.(time);
    yield {
      id: `sim:${flow.key}:${slot}`,
      source: 'mde',
      time,
      device: { hostname: flow.device.fqdn, uid: flow.device.uid, ip: flow.device.ip },
      process: started === undefined ? flow.process : { ...flow.process, started_at: started },
      src_endpoint: { ip: flow.device.ip, port: 49152 + (hash32(`${seed}:port`) % 16384) },
      dst_endpoint: dst,
      protocol: flow.protocol,
      direction: flow.direction ?? 'outbound',
      outcome: flow.outcome ?? 'success',
      ...(bytes !== undefined && { bytes_out: bytes }),
    };
  }
}

/** Picks one of `items` for a seed, deterministically. */
export function pick<T>(items: readonly T[], seed: string): T {
  const item = items[hash32(seed) % items.length];
  if (item === undefined) throw new RangeError('pick from an empty list');
  return item;
}

/** Every event of `flows` in the range, merged in time order. */
export function eventsOf(flows: readonly Flow[], range: FlowRange): ConnectionEvent[] {
  const events: ConnectionEvent[] = [];
  for (const flow of flows) for (const event of flowEvents(flow, range)) events.push(event);
  return events.sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
