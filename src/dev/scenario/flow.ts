import { hash32, unitFraction } from './stable-hash.js';
import type { SimConnection, SimDestination, SimHost, SimProcess } from './types.js';

/** A recurring connection pattern: one event per `periodMs` slot while active. */
export interface Flow {
  /** Unique within a scenario; event ids derive from it. */
  key: string;
  host: SimHost;
  process: SimProcess;
  /** When the instance of the process making the connection at `time` started, if it is not `process.started_at`. */
  startedAt?: (time: number) => number;
  protocol: 'tcp' | 'udp';
  outcome: 'success' | 'failure';
  periodMs: number;
  /** Share of the period an event may drift from its slot start: 0.1 beacons, 1 background noise. */
  jitter: number;
  /** Active window [activeFrom, activeTo), epoch ms. */
  activeFrom?: number;
  activeTo?: number;
  /** Where slot `slot` goes; must depend on nothing but the slot. */
  destination(slot: number): SimDestination;
}

/** Ranges longer than this are thinned, so a 7-day baseline stays cheap while every flow still appears. */
export const THIN_RANGE_MS = 6 * 3_600_000;
export const MAX_EVENTS_PER_FLOW = 200;

/**
 * Power-of-two strides: a coarser thinning keeps a subset of a finer one, and the events kept are the
 * same whatever range is asked, for ranges of the same order of length.
 */
function strideFor(flow: Flow, rangeMs: number): number {
  if (rangeMs <= THIN_RANGE_MS) return 1;
  const slots = Math.ceil(rangeMs / flow.periodMs);
  return 2 ** Math.max(0, Math.ceil(Math.log2(slots / MAX_EVENTS_PER_FLOW)));
}

/** The events of `flow` in [fromMs, toMs). Slot k lives in [k*period, (k+1)*period), at a fixed offset. */
export function flowEvents(flow: Flow, fromMs: number, toMs: number): SimConnection[] {
  const start = Math.max(fromMs, flow.activeFrom ?? fromMs);
  const end = Math.min(toMs, flow.activeTo ?? toMs);
  if (end <= start) return [];
  const stride = strideFor(flow, toMs - fromMs);
  const firstSlot = Math.ceil(Math.floor(start / flow.periodMs) / stride) * stride;
  const events: SimConnection[] = [];
  for (let slot = firstSlot; slot * flow.periodMs < end; slot += stride) {
    const offset = Math.floor(unitFraction(`${flow.key}#${slot}`) * flow.jitter * flow.periodMs);
    const time = slot * flow.periodMs + offset;
    if (time < start || time >= end) continue;
    events.push({
      id: `sim:${flow.key}:${slot}`,
      host: flow.host,
      time,
      process: flow.startedAt ? { ...flow.process, started_at: flow.startedAt(time) } : flow.process,
      dst: flow.destination(slot),
      protocol: flow.protocol,
      outcome: flow.outcome,
    });
  }
  return events;
}

/** Picks one of `items` for a slot, deterministically. */
export function pick<T>(items: readonly T[], seed: string): T {
  const item = items[hash32(seed) % items.length];
  if (item === undefined) throw new RangeError('pick from an empty list');
  return item;
}
