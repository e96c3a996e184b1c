import type { ConnectionEvent } from '../contracts/connection-event.js';
import { InMemoryBeaconHistory } from '../detect/beacon-history.js';
import { judgeBeacons } from '../detect/beacon-tracker.js';
import type { Assessment, Detector } from '../detect/types.js';

export interface ReplayOptions {
  detector: Detector;
  /** Watched events, in time order. */
  events: readonly ConnectionEvent[];
  /** Start and end of the window, and the watch's poll interval: events are judged one poll's worth at a time. */
  from: number;
  to: number;
  pollIntervalMs: number;
  /** Sets the detector's clock (allow-rule expiry) to when the live watch would have polled. */
  setClock(time: number): void;
  /** Called once per event, in order, with its final assessment. */
  visit(event: ConnectionEvent, assessment: Assessment): void;
}

/**
 * Judges the window as the live watch would have, poll by poll: each poll's events are observed, then go through
 * the detector's beacon step (`judgeBeacons`) with an in-memory beacon history, at the time the poll would have
 * run.
 */
export async function replayWindow(options: ReplayOptions): Promise<void> {
  const { detector, events, pollIntervalMs } = options;
  const history = new InMemoryBeaconHistory();
  let start = 0;
  while (start < events.length) {
    const first = events[start];
    if (!first) break;
    const pollEnd = options.from + (Math.floor((first.time - options.from) / pollIntervalMs) + 1) * pollIntervalMs;
    let end = start;
    while (end < events.length && (events[end]?.time ?? pollEnd) < pollEnd) end += 1;
    options.setClock(Math.min(pollEnd, options.to));
    const observed = events.slice(start, end).map((event) => ({ event, observation: detector.observe(event) }));
    const assessments = await judgeBeacons(detector, history, observed);
    observed.forEach(({ event }, index) => {
      const assessment = assessments[index];
      if (assessment) options.visit(event, assessment);
    });
    start = end;
  }
}
