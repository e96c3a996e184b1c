import { isDeepStrictEqual } from 'node:util';
import type { SourceHealth } from '../contracts/watch.js';
import type { SourceError } from '../sources/source-error.js';

const MAX_GAPS_KEPT = 50;

export const emptyHealth = (source: string): SourceHealth => ({
  source,
  polled_hosts: [],
  consecutive_failures: 0,
  events_seen: 0,
  hosts_seen: [],
  gaps: [],
});

/** An outage is one gap that grows while failures last; the watch's coverage shows it. */
export function recordGap(health: SourceHealth, unreadFrom: string, at: string, error: SourceError): SourceHealth['gaps'] {
  const open = health.consecutive_failures > 0 ? health.gaps.at(-1) : undefined;
  const gaps = open ? [...health.gaps.slice(0, -1), { ...open, to: at }] : [...health.gaps, { from: health.polled_until ?? unreadFrom, to: at, reason: `${error.kind}: ${error.message}` }];
  return gaps.slice(-MAX_GAPS_KEPT);
}

export function closeGap(health: SourceHealth, at: string): SourceHealth['gaps'] {
  const open = health.consecutive_failures > 0 ? health.gaps.at(-1) : undefined;
  return open ? [...health.gaps.slice(0, -1), { ...open, to: at }] : health.gaps;
}

/**
 * In how many polls a watch's record of a source's progress is written at least once while its polls bring nothing
 * new: the record then changes only in when it was polled, and rewriting it for every watch on every poll would make a
 * quiet poll cost as much per watch as a busy one. Readers see `polled_until` and `last_success_at` at most this many
 * poll intervals behind; a watch's final look at close always records.
 */
export const HEALTH_REFRESH_POLLS = 3;

/**
 * Whether `next`, a poll's account of a source, must be written over `previous`: always when anything but the poll's
 * progress changed (events, hosts, errors, gaps, pace, pause), else once `previous` is `refreshMs` old.
 */
export function healthNeedsRecording(previous: SourceHealth, next: SourceHealth, now: number, refreshMs: number): boolean {
  if (previous.last_success_at === undefined || !(now - Date.parse(previous.last_success_at) < refreshMs)) return true;
  return !isDeepStrictEqual(withoutProgress(previous), withoutProgress(next));
}

/** A poll's progress (when it polled, how far it read, how old the newest event was) left out. */
function withoutProgress(health: SourceHealth): Omit<SourceHealth, 'polled_until' | 'last_success_at' | 'lag_ms'> {
  const { polled_until: _polledUntil, last_success_at: _lastSuccessAt, lag_ms: _lagMs, ...rest } = health;
  return rest;
}
