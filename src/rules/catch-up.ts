import type { SourceCatchUp, SourceHealth, Watch } from '../contracts/watch.js';
import { durationMs, type SourceCommonConfig } from '../sources/source-config.js';

/** How long a source's telemetry takes to be searchable, and how much longer the close waits for it. */
export interface SettlePolicy {
  settleMs: number;
  graceMs: number;
}

/** A source whose settings are not known here is taken as complete when read, and not waited for. */
export const NO_SETTLE: SettlePolicy = { settleMs: 0, graceMs: 0 };

export function settlePolicies(sources: readonly SourceCommonConfig[]): Map<string, SettlePolicy> {
  return new Map(sources.map((source) => [source.id, { settleMs: durationMs(source.settle), graceMs: durationMs(source.settle_grace) }]));
}

/** A lag seen this recently still describes the source; an older one (an ingestion incident since over) does not. */
const LATE_ARRIVAL_MEMORY_MS = 30 * 60_000;

/** The late-ingestion lag a source showed recently, if any. */
export function recentLateLag(health: SourceHealth | undefined, now: number): number | undefined {
  const late = health?.late_arrival;
  return late && now - Date.parse(late.seen_at) <= LATE_ARRIVAL_MEMORY_MS ? late.lag_ms : undefined;
}

/** Keeps the longest lag seen within the memory, or the new one once the remembered one is too old. */
export function rememberLateArrival(previous: SourceHealth['late_arrival'], lagMs: number | undefined, now: number): SourceHealth['late_arrival'] {
  if (lagMs === undefined) return previous;
  const fresh = previous && now - Date.parse(previous.seen_at) <= LATE_ARRIVAL_MEMORY_MS ? previous : undefined;
  return fresh && fresh.lag_ms >= lagMs ? fresh : { lag_ms: Math.round(lagMs), seen_at: new Date(now).toISOString() };
}

/** The times a source's previous successful read covered (its look-back up to the read): what a new event there arrived late for. */
export function lateWindowOf(health: SourceHealth, lookbackMs: number): { from: number; to: number } | undefined {
  if (health.last_success_at === undefined || health.polled_until === undefined) return undefined;
  return { from: Date.parse(health.polled_until) - lookbackMs, to: Date.parse(health.last_success_at) };
}

/**
 * How far a source's telemetry is known complete: the connectors return no ingestion time, so a successful read at
 * time t covers what happened up to t - lag, and never further than it read.
 */
export function readUntilOf(health: SourceHealth | undefined, lagMs: number): number | undefined {
  if (health?.last_success_at === undefined || health.polled_until === undefined) return undefined;
  return Math.min(Date.parse(health.last_success_at) - lagMs, Date.parse(health.polled_until));
}

/**
 * Where a source stands for the close: its lag is its settle time, or the lag it was seen to have when longer; when it
 * is given up on depends on its settings only.
 */
export function catchUpOf(
  watch: Watch,
  source: string,
  health: SourceHealth | undefined,
  policy: SettlePolicy,
  observedLagMs?: number,
): SourceCatchUp {
  const end = Date.parse(watch.expires_at);
  const lagMs = Math.max(policy.settleMs, observedLagMs ?? 0);
  const readUntil = readUntilOf(health, lagMs);
  return {
    source,
    ...(readUntil === undefined ? {} : { read_until: new Date(readUntil).toISOString() }),
    settle_ms: policy.settleMs,
    ...(observedLagMs === undefined ? {} : { observed_lag_ms: Math.round(observedLagMs) }),
    caught_up: readUntil !== undefined && readUntil >= end,
    expected_at: new Date(end + lagMs).toISOString(),
    gives_up_at: new Date(end + policy.settleMs + policy.graceMs).toISOString(),
  };
}

export type CloseStep =
  /** Every source has caught up, or the close gave up on those in `behind`. */
  | { kind: 'decide'; behind: SourceCatchUp[] }
  | { kind: 'wait'; nextCheckAt: number };

/**
 * Whether the close can decide now, or when to look again: when the first waiting source should have caught up, or,
 * for one already overdue (its reads failing), after `recheckMs`; never later than the time it is given up on.
 */
export function nextCloseStep(sources: readonly SourceCatchUp[], now: number, recheckMs: number): CloseStep {
  const waiting = sources.filter((source) => !source.caught_up && Date.parse(source.gives_up_at) > now);
  if (waiting.length === 0) return { kind: 'decide', behind: sources.filter((source) => !source.caught_up) };
  const checks = waiting.map((source) => {
    const expected = Date.parse(source.expected_at);
    return Math.min(Date.parse(source.gives_up_at), expected > now ? expected : now + recheckMs);
  });
  return { kind: 'wait', nextCheckAt: Math.min(...checks) };
}
