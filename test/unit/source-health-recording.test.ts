import { describe, expect, it } from 'vitest';
import type { SourceHealth } from '../../src/contracts/watch.js';
import { emptyHealth, healthNeedsRecording } from '../../src/rules/source-health.js';

const POLLED_AT = Date.parse('2026-12-07T10:00:00.000Z');
const REFRESH_MS = 30_000;

const recorded: SourceHealth = {
  ...emptyHealth('mde-prod'),
  polled_until: new Date(POLLED_AT).toISOString(),
  last_success_at: new Date(POLLED_AT).toISOString(),
  polled_hosts: ['fin-ws-042'],
  lag_ms: 4_000,
  events_seen: 12,
  hosts_seen: ['FIN-WS-042'],
  hosts_last_seen: { 'FIN-WS-042': new Date(POLLED_AT - 4_000).toISOString() },
};

/** The next poll's account: `seconds` later, nothing new read unless `changes` says so. */
const polledAgain = (seconds: number, changes: Partial<SourceHealth> = {}): SourceHealth => ({
  ...recorded,
  polled_until: new Date(POLLED_AT + seconds * 1_000).toISOString(),
  last_success_at: new Date(POLLED_AT + seconds * 1_000).toISOString(),
  lag_ms: 4_000 + seconds * 1_000,
  ...changes,
});

describe('when a poll writes its source health', () => {
  it('skips a poll that only moved its progress while the record is fresher than the refresh', () => {
    expect(healthNeedsRecording(recorded, polledAgain(10), POLLED_AT + 10_000, REFRESH_MS)).toBe(false);
    expect(healthNeedsRecording(recorded, polledAgain(29), POLLED_AT + 29_999, REFRESH_MS)).toBe(false);
  });

  it('writes once the record is as old as the refresh, or when it was never written after a success', () => {
    expect(healthNeedsRecording(recorded, polledAgain(30), POLLED_AT + 30_000, REFRESH_MS)).toBe(true);
    expect(healthNeedsRecording(emptyHealth('mde-prod'), polledAgain(1), POLLED_AT + 1_000, REFRESH_MS)).toBe(true);
    expect(healthNeedsRecording(recorded, polledAgain(1), POLLED_AT + 1_000, 0)).toBe(true);
  });

  it.each<[string, Partial<SourceHealth>]>([
    ['new events', { events_seen: 13 }],
    ['a host heard from later', { hosts_last_seen: { 'FIN-WS-042': new Date(POLLED_AT + 5_000).toISOString() } }],
    ['a host seen for the first time', { hosts_seen: ['FIN-WS-042', 'FIN-WS-043'] }],
    ['a host merged into the read', { polled_hosts: ['fin-ws-042', 'fin-ws-043'] }],
    ['a failure', { consecutive_failures: 1, last_error: 'timeout', last_error_at: new Date(POLLED_AT + 5_000).toISOString() }],
    ['a slowed pace', { slowed: { asked_ms: 10_000, every_ms: 23_000, queries_per_poll: 3, budget_per_minute: 10, since: new Date(POLLED_AT).toISOString() } }],
    ['a late arrival remembered', { late_arrival: { lag_ms: 90_000, seen_at: new Date(POLLED_AT + 5_000).toISOString() } }],
    ['a repaired string', { strings_repaired: 1 }],
  ])('writes at once when a poll changed anything but its progress: %s', (_what, changes) => {
    expect(healthNeedsRecording(recorded, polledAgain(5, changes), POLLED_AT + 5_000, REFRESH_MS)).toBe(true);
  });
});
