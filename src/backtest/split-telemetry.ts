import type { ConnectionEvent } from '../contracts/connection-event.js';
import type { HostMatcher } from '../contracts/host-identity.js';
import type { WatchedHost } from '../contracts/watch.js';
import type { BaselineRows } from './baseline-rows.js';
import type { CoverageTracker } from './coverage.js';
import { isWholeEvent, type ReadConnection } from './sighting.js';

/**
 * Events of one input, one at a time or in batches as a file reader hands them on: `events` inputs are split at
 * `blocked_at`; `baseline` inputs are history, whatever their time. `read` starts a reader that may give only the
 * sightings of records before the time it is given, which the split only folds into the baseline.
 */
export type BacktestInput = { name: string; role: 'events' | 'baseline' } & (
  | { events: AsyncIterable<ConnectionEvent> | Iterable<ConnectionEvent> }
  | { read: (sightingsBefore: number) => AsyncIterable<readonly ReadConnection[]> }
);

/** A window event of a watched host. */
export interface WatchedEvent {
  event: ConnectionEvent;
  host: WatchedHost;
}

export interface SplitTelemetry {
  /** Events of watched hosts from `blocked_at` to the end of the window, each (source, id) once, in input order. */
  watched: WatchedEvent[];
  /** Window events, each (source, id) once, of any host. */
  windowEvents: number;
  /** Of those, events of hosts the watch does not cover. */
  otherHosts: number;
  /** Sources of the `events` inputs: the watch's sources. */
  sources: string[];
  eventsRead: number;
  /** Window events whose (source, id) came earlier: the live store records an event once. */
  duplicates: number;
  /** Pre-block events older than the baseline window. */
  beforeBaseline: number;
  afterEnd: number;
}

async function* batchesOf(input: BacktestInput, blockedAt: number): AsyncGenerator<readonly ReadConnection[]> {
  if ('read' in input) {
    yield* input.read(input.role === 'baseline' ? Number.POSITIVE_INFINITY : blockedAt);
    return;
  }
  for await (const event of input.events) yield [event];
}

/**
 * Reads every input once: pre-block events (and all `baseline` inputs) are aggregated into baseline rows as they
 * stream by, window events of watched hosts are kept for judging (the others only counted), and every `events`
 * event counts towards its source's coverage. What is held grows with the window's watched events, not the input.
 */
export async function splitTelemetry(
  inputs: readonly BacktestInput[],
  bounds: { baselineFrom: number; blockedAt: number; windowEnd: number },
  matchHost: HostMatcher,
  rows: BaselineRows,
  coverage: CoverageTracker,
): Promise<SplitTelemetry> {
  const seen = new Set<string>();
  const sources = new Set<string>();
  const split: SplitTelemetry = { watched: [], windowEvents: 0, otherHosts: 0, sources: [], eventsRead: 0, duplicates: 0, beforeBaseline: 0, afterEnd: 0 };
  for (const input of inputs) {
    for await (const events of batchesOf(input, bounds.blockedAt)) {
      split.eventsRead += events.length;
      for (const event of events) {
        if (input.role === 'baseline') {
          rows.add(event);
          continue;
        }
        sources.add(event.source);
        coverage.seen(event);
        if (event.time < bounds.blockedAt) {
          if (event.time >= bounds.baselineFrom) rows.add(event);
          else split.beforeBaseline += 1;
        } else if (event.time >= bounds.windowEnd) {
          split.afterEnd += 1;
        } else {
          if (!isWholeEvent(event)) throw new Error(`${input.name}: a reader gave only the sighting of an event in the window`);
          const key = `${event.source}\u0000${event.id}`;
          if (seen.has(key)) {
            split.duplicates += 1;
            continue;
          }
          seen.add(key);
          split.windowEvents += 1;
          const host = matchHost(event);
          if (host) split.watched.push({ event, host });
          else split.otherHosts += 1;
        }
      }
    }
  }
  split.sources = [...sources].sort();
  return split;
}
