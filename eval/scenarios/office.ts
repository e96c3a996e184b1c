import type { ConnectionEvent } from '../../src/contracts/connection-event.js';
import { DAY, eventsOf, flowEvents, type Flow } from '../generate/flow.js';
import { DOMAIN_CONTROLLERS, INTERNAL, workstation, workstationFlows } from '../generate/estate.js';

/** Synthetic scenarios block at 09:00 UTC on a Tuesday, with a week of history before. */
export const BLOCKED_AT = Date.parse('2026-03-10T09:00:00Z');
export const BASELINE_DAYS = 7;

/** The YAML an operator of the simulated estate would write: its ranges and its resolvers. */
export const ESTATE_SETTINGS = { networks: { internal: [INTERNAL], resolvers: DOMAIN_CONTROLLERS } };

export interface Office {
  /** Every workstation's flows, plus the scenario's own. */
  flows: Flow[];
  /** The watched hosts as the SOAR names them. */
  hosts: { hostname: string; ip: string }[];
  victim: ReturnType<typeof workstation>;
}

/**
 * A small office of `size` workstations; the victim is WS-0007 and the watch covers it and its two neighbours.
 * `attack` adds the implant's flows for the victim.
 */
export function office(windowMs: number, attack: (victim: ReturnType<typeof workstation>) => Flow[], size = 12): Office {
  const window = { windowFrom: BLOCKED_AT, windowTo: BLOCKED_AT + windowMs };
  const devices = Array.from({ length: size }, (_, index) => workstation(index));
  const victim = devices[6];
  if (!victim) throw new RangeError('an office needs at least 7 workstations');
  return {
    flows: [...devices.flatMap((device, index) => workstationFlows(device, index, window)), ...attack(victim)],
    hosts: devices.slice(5, 8).map((device) => ({ hostname: device.hostname, ip: device.ip })),
    victim,
  };
}

/** One export of the office: a week of (thinned) history, then the window at full resolution, in time order. */
export function officeEvents(flows: readonly Flow[], windowMs: number): () => ConnectionEvent[] {
  return () => [
    ...eventsOf(flows, { from: BLOCKED_AT - BASELINE_DAYS * DAY, to: BLOCKED_AT, thin: true }),
    ...eventsOf(flows, { from: BLOCKED_AT, to: BLOCKED_AT + windowMs }),
  ];
}

/** The same, generated flow by flow without sorting: for estates too large to hold twice. */
export function* streamedEvents(flows: readonly Flow[], windowMs: number): Generator<ConnectionEvent> {
  for (const flow of flows) yield* flowEvents(flow, { from: BLOCKED_AT - BASELINE_DAYS * DAY, to: BLOCKED_AT, thin: true });
  for (const flow of flows) yield* flowEvents(flow, { from: BLOCKED_AT, to: BLOCKED_AT + windowMs });
}
