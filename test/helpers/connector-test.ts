import { Writable } from 'node:stream';
import pino, { type Level, type Logger } from 'pino';
import { expect } from 'vitest';
import type { ConnectionEvent } from '../../src/contracts/connection-event.js';
import type { SourcePrevalence } from '../../src/contracts/prevalence.js';
import { createScenario, type Scenario, type SimConnection } from '../../src/dev/scenario/index.js';
import type { RequestBudget } from '../../src/sources/http/request-budget.js';

export const MINUTE = 60_000;
export const DAY_MS = 86_400_000;

/** Never waits; counts the requests a connector took from its budget. */
export class CountingBudget implements RequestBudget {
  acquired = 0;
  acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.acquired += 1;
    return Promise.resolve();
  }
}

/** A logger whose lines land, parsed, in `lines`, so tests can check what was (and never was) logged. */
export function capturingLogger(lines: Record<string, unknown>[], level: Level): Logger {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return pino({ level }, sink);
}

/** The fallback scenario, blocked five minutes ago: its beacon and retries are all searchable now. */
export const fallbackScenario = (): Scenario => createScenario('fallback', { blockedAt: new Date(Date.now() - 5 * MINUTE) });

/** The range from `beforeMs` before the block to `afterMs` after it. */
export const aroundBlock = (scenario: Scenario, beforeMs: number, afterMs: number) => ({
  from: new Date(scenario.blockedAt.getTime() - beforeMs),
  to: new Date(scenario.blockedAt.getTime() + afterMs),
});

/** Order-free comparison of plain records. */
export const sorted = <T>(items: T[]) => items.map((item) => JSON.stringify(item)).sort();

/**
 * The source returned each expected connection once and nothing else, as far as the vendor can tell:
 * `fromEvent` and `fromSim` pick what the vendor's telemetry carries.
 */
export function expectSameConnections(
  events: ConnectionEvent[],
  expected: SimConnection[],
  fromEvent: (event: ConnectionEvent) => unknown,
  fromSim: (connection: SimConnection) => unknown,
): void {
  // Enough events to make the comparison mean something, whatever the wall clock did to the scenario.
  expect(expected.length).toBeGreaterThan(3);
  expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
  expect(sorted(events.map(fromEvent))).toEqual(sorted(expected.map(fromSim)));
}

/** Hosts, and hosts per port/protocol and per destination, counted by hand from what the read returned. */
export function countedByHand(connections: readonly SimConnection[], hostOf: (connection: SimConnection) => string) {
  const tally = (keyOf: (connection: SimConnection) => string) => {
    const hosts = new Map<string, Set<string>>();
    for (const c of connections) hosts.set(keyOf(c), (hosts.get(keyOf(c)) ?? new Set()).add(hostOf(c)));
    return [...hosts].map(([key, seen]) => `${key}=${seen.size}`).sort();
  };
  return { host_count: new Set(connections.map(hostOf)).size, ports: tally((c) => `${c.protocol}/${c.dst.port}`), destinations: tally((c) => c.dst.ip) };
}
export const prevalenceRows = (answer: SourcePrevalence) => ({
  host_count: answer.host_count,
  ports: answer.ports.map((row) => `${row.protocol}/${row.port}=${row.hosts}`).sort(),
  destinations: answer.destinations.map((row) => `${row.destination}=${row.hosts}`).sort(),
});
