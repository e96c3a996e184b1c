import type { ConnectionEvent } from '../contracts/connection-event.js';
import type { BaselineRows } from './baseline-rows.js';
import type { CoverageTracker } from './coverage.js';

/** Events of one input: `events` inputs are split at `blocked_at`; `baseline` inputs are history, whatever their time. */
export interface BacktestInput {
  name: string;
  role: 'events' | 'baseline';
  events: AsyncIterable<ConnectionEvent> | Iterable<ConnectionEvent>;
}

export interface SplitTelemetry {
  /** Events from `blocked_at` to the end of the window, each (source, id) once, in input order. */
  window: ConnectionEvent[];
  /** Sources of the `events` inputs: the watch's sources. */
  sources: string[];
  eventsRead: number;
  /** Window events whose (source, id) came earlier: the live store records an event once. */
  duplicates: number;
  /** Pre-block events older than the baseline window. */
  beforeBaseline: number;
  afterEnd: number;
}

/**
 * Reads every input once: pre-block events (and all `baseline` inputs) are aggregated into baseline rows as they
 * stream by, window events are kept for judging, and every `events` event counts towards its source's coverage.
 */
export async function splitTelemetry(
  inputs: readonly BacktestInput[],
  bounds: { baselineFrom: number; blockedAt: number; windowEnd: number },
  rows: BaselineRows,
  coverage: CoverageTracker,
): Promise<SplitTelemetry> {
  const seen = new Set<string>();
  const sources = new Set<string>();
  const split: SplitTelemetry = { window: [], sources: [], eventsRead: 0, duplicates: 0, beforeBaseline: 0, afterEnd: 0 };
  for (const input of inputs) {
    for await (const event of input.events) {
      split.eventsRead += 1;
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
        const key = `${event.source}\u0000${event.id}`;
        if (seen.has(key)) split.duplicates += 1;
        else {
          seen.add(key);
          split.window.push(event);
        }
      }
    }
  }
  split.sources = [...sources].sort();
  return split;
}
