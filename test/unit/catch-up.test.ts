import { describe, expect, it } from 'vitest';
import type { SourceHealth, Watch } from '../../src/contracts/watch.js';
import { activeClosing, closedStatus, closingStatus } from '../../src/report/text/closing-status.js';
import { MdeConfigSchema } from '../../src/sources/mde/config.js';
import { SplunkConfigSchema } from '../../src/sources/splunk/config.js';
import { catchUpOf, lateWindowOf, nextCloseStep, readUntilOf, recentLateLag, rememberLateArrival, settlePolicies } from '../../src/rules/catch-up.js';

const END = Date.parse('2026-11-29T11:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const MINUTE = 60_000;

const watch = { expires_at: iso(END) } as Watch;

const health = (lastSuccessAt: number, polledUntil: number): SourceHealth => ({
  source: 'mde-prod',
  polled_until: iso(polledUntil),
  last_success_at: iso(lastSuccessAt),
  polled_hosts: [],
  consecutive_failures: 0,
  events_seen: 0,
  hosts_seen: [],
  gaps: [],
});

describe('how far a source is known complete', () => {
  it('is its last successful read less its settle time, never past what it read', () => {
    expect(readUntilOf(health(END - 10_000, END - 10_000), 5 * MINUTE)).toBe(END - 10_000 - 5 * MINUTE);
    expect(readUntilOf(health(END + 10 * MINUTE, END), 5 * MINUTE)).toBe(END);
    expect(readUntilOf(undefined, 0)).toBeUndefined();
    expect(readUntilOf({ ...health(END, END), last_success_at: undefined }, 0)).toBeUndefined();
  });

  it('has caught up once a read made settle after the end succeeded', () => {
    const policy = { settleMs: 5 * MINUTE, graceMs: 10 * MINUTE };
    const early = catchUpOf(watch, 'mde-prod', health(END + 2 * MINUTE, END), policy);
    expect(early).toEqual({
      source: 'mde-prod',
      read_until: iso(END - 3 * MINUTE),
      settle_ms: 5 * MINUTE,
      caught_up: false,
      expected_at: iso(END + 5 * MINUTE),
      gives_up_at: iso(END + 15 * MINUTE),
    });
    expect(catchUpOf(watch, 'mde-prod', health(END + 5 * MINUTE, END), policy).caught_up).toBe(true);
    expect(catchUpOf(watch, 'mde-prod', undefined, policy)).toMatchObject({ caught_up: false });
  });
});

describe('a lag seen beyond the settle time', () => {
  const policy = { settleMs: MINUTE, graceMs: 10 * MINUTE };

  it('is waited for instead of the settle time, and does not move the time the source is given up on', () => {
    const seenLate = catchUpOf(watch, 'mde-prod', health(END + 2 * MINUTE, END), policy, 4 * MINUTE);
    expect(seenLate).toMatchObject({
      read_until: iso(END - 2 * MINUTE),
      observed_lag_ms: 4 * MINUTE,
      caught_up: false,
      expected_at: iso(END + 4 * MINUTE),
      gives_up_at: iso(END + 11 * MINUTE),
    });
    expect(catchUpOf(watch, 'mde-prod', health(END + 2 * MINUTE, END), policy, 30_000)).toMatchObject({ caught_up: true, expected_at: iso(END + MINUTE) });
  });
});

describe('the close step', () => {
  const policy = { settleMs: 5 * MINUTE, graceMs: 10 * MINUTE };
  const behindAt = (lastReadAt: number) => catchUpOf(watch, 'mde-prod', health(lastReadAt, Math.min(lastReadAt, END)), policy);

  it('waits until the source should have caught up, then decides', () => {
    expect(nextCloseStep([behindAt(END)], END, 1_000)).toEqual({ kind: 'wait', nextCheckAt: END + 5 * MINUTE });
    const caughtUp = catchUpOf(watch, 'mde-prod', health(END + 5 * MINUTE, END), policy);
    expect(nextCloseStep([caughtUp], END + 5 * MINUTE, 1_000)).toEqual({ kind: 'decide', behind: [] });
  });

  it('looks again every recheck interval at a source that is overdue, and gives up on it at settle + grace', () => {
    const overdue = behindAt(END);
    expect(nextCloseStep([overdue], END + 6 * MINUTE, 30_000)).toEqual({ kind: 'wait', nextCheckAt: END + 6 * MINUTE + 30_000 });
    expect(nextCloseStep([overdue], END + 15 * MINUTE - 1_000, 30_000)).toEqual({ kind: 'wait', nextCheckAt: END + 15 * MINUTE });
    expect(nextCloseStep([overdue], END + 15 * MINUTE, 30_000)).toEqual({ kind: 'decide', behind: [overdue] });
  });

  it('waits for the slowest source but looks again when the first should be ready', () => {
    const splunk = catchUpOf(watch, 'splunk-prod', health(END, END), { settleMs: MINUTE, graceMs: MINUTE });
    expect(nextCloseStep([behindAt(END), splunk], END, 1_000)).toEqual({ kind: 'wait', nextCheckAt: END + MINUTE });
  });
});

describe('settle settings', () => {
  it('default per vendor and can be set per source', () => {
    const mde = MdeConfigSchema.parse({ id: 'mde-prod', type: 'mde', tenant_id: 't', client_id: 'c', client_secret: 's' });
    const splunk = SplunkConfigSchema.parse({ id: 'splunk-prod', type: 'splunk', base_url: 'https://127.0.0.1:8089', token: 't' });
    const tuned = MdeConfigSchema.parse({ id: 'mde-lab', type: 'mde', tenant_id: 't', client_id: 'c', client_secret: 's', settle: '90s', settle_grace: '0s' });
    expect(settlePolicies([mde, splunk, tuned])).toEqual(
      new Map([
        ['mde-prod', { settleMs: 5 * MINUTE, graceMs: 10 * MINUTE }],
        ['splunk-prod', { settleMs: MINUTE, graceMs: 10 * MINUTE }],
        ['mde-lab', { settleMs: 90_000, graceMs: 0 }],
      ]),
    );
    expect(MdeConfigSchema.safeParse({ id: 'm', type: 'mde', tenant_id: 't', client_id: 'c', client_secret: 's', settle: '2h' }).success).toBe(false);
  });
});

describe('the closing status text', () => {
  const waiting = (source: string, expectedAt: number, givesUpAt: number) => ({
    source,
    settle_ms: 0,
    caught_up: false,
    expected_at: iso(expectedAt),
    gives_up_at: iso(givesUpAt),
  });

  it('names the sources waited for and the minutes until the last should have caught up', () => {
    expect(closingStatus({ sources: [waiting('mde-prod', END + 5 * MINUTE, END + 15 * MINUTE)] }, END + 2 * MINUTE + 1)).toBe(
      'closing: waiting for mde-prod to catch up, 3 min',
    );
    const sources = [waiting('mde-prod', END + 5 * MINUTE, END + 15 * MINUTE), waiting('fw-edge', END + MINUTE, END + 2 * MINUTE)];
    expect(closingStatus({ sources }, END)).toBe('closing: waiting for mde-prod and fw-edge to catch up, 5 min');
    expect(closingStatus({ sources: [waiting('mde-prod', END + 5_000, END + 15_000)] }, END)).toBe('closing: waiting for mde-prod to catch up, <1 min');
  });

  it('never counts past the give-up time of a source seen lagging beyond it', () => {
    expect(closingStatus({ sources: [waiting('mde-prod', END + 30 * MINUTE, END + 11 * MINUTE)] }, END)).toBe('closing: waiting for mde-prod to catch up, 11 min');
  });

  it('counts down to the give-up time for a source already overdue', () => {
    expect(closingStatus({ sources: [waiting('mde-prod', END + 5 * MINUTE, END + 15 * MINUTE)] }, END + 7 * MINUTE)).toBe(
      'closing: waiting for mde-prod to catch up, 8 min',
    );
  });

  it('says what the wait came to once the verdict is given', () => {
    expect(closedStatus({ sources: [{ ...waiting('mde-prod', END, END), caught_up: true }] })).toBe('closed: every source caught up');
    expect(closedStatus({ sources: [waiting('mde-prod', END, END), waiting('fw-edge', END, END)] })).toBe('closed: gave up waiting for mde-prod and fw-edge');
  });

  it('is shown only while the close waits for the window it was recorded for', () => {
    const closing = { window_end: iso(END), since: iso(END), checked_at: iso(END), status: 's', sources: [] };
    expect(activeClosing({ state: 'watching', expires_at: iso(END), closing })).toBe(closing);
    expect(activeClosing({ state: 'watching', expires_at: iso(END + 3_600_000), closing })).toBeUndefined();
    expect(activeClosing({ state: 'closed', expires_at: iso(END), closing })).toBeUndefined();
  });
});

describe('the lag of late telemetry a source showed', () => {
  it('is the longest seen in the last 30 minutes; an older one no longer describes the source', () => {
    const seenAt = END - 10 * MINUTE;
    const first = rememberLateArrival(undefined, 4_000, seenAt);
    expect(first).toEqual({ lag_ms: 4_000, seen_at: iso(seenAt) });
    expect(rememberLateArrival(first, 2_000, seenAt + MINUTE), 'a shorter lag does not hide a recent longer one').toBe(first);
    expect(rememberLateArrival(first, undefined, seenAt + MINUTE)).toBe(first);
    expect(rememberLateArrival(first, 2_000, seenAt + 31 * MINUTE)).toEqual({ lag_ms: 2_000, seen_at: iso(seenAt + 31 * MINUTE) });

    expect(recentLateLag({ ...health(END, END), late_arrival: first }, seenAt + 30 * MINUTE)).toBe(4_000);
    expect(recentLateLag({ ...health(END, END), late_arrival: first }, seenAt + 31 * MINUTE)).toBeUndefined();
    expect(recentLateLag(health(END, END), END)).toBeUndefined();
  });

  it('is measured against the times the previous read covered: its look-back up to the read', () => {
    expect(lateWindowOf(health(END, END - 1_000), 10 * MINUTE)).toEqual({ from: END - 1_000 - 10 * MINUTE, to: END });
    expect(lateWindowOf({ ...health(END, END), last_success_at: undefined }, MINUTE)).toBeUndefined();
  });
});
