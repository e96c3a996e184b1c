import { createHash } from 'node:crypto';
import type { ContainmentRequest, Indicator } from '../contracts/containment-request.js';
import { parseDuration } from '../contracts/duration.js';
import type { Watch, WatchedHost } from '../contracts/watch.js';
import { hostKey } from '../contracts/host-identity.js';

/** Watch defaults from the configuration (`defaults` in containment-watch.yaml). */
export interface WatchDefaults {
  durationMs: number;
  pollIntervalMs: number;
  baselineMs: number;
}

/** A containment request whose `blocked_at` is known, as the backtest requires. */
export type BacktestRequest = ContainmentRequest & { blocked_at: string };

const optionMs = (text: string | undefined) => (text === undefined ? undefined : parseDuration(text));

function dedupe<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const id = key(item);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/**
 * The watch the webhook would open for `request`, already closed at the end of its window. Its id derives from the
 * request, so the same backtest gives the same watch and finding ids.
 */
export function watchOf(request: BacktestRequest, defaults: WatchDefaults, sources: readonly string[]): Watch {
  const blockedAt = Date.parse(request.blocked_at);
  const durationMs = optionMs(request.watch?.duration) ?? defaults.durationMs;
  const hosts: WatchedHost[] = dedupe(request.hosts, hostKey).map((host) => ({ ...host, baseline: 'ready' }));
  const blocked = dedupe<Indicator>(request.blocked, (indicator) => `${indicator.type}|${indicator.value.toLowerCase()}`);
  const start = new Date(blockedAt).toISOString();
  const end = new Date(blockedAt + durationMs).toISOString();
  return {
    id: `backtest-${createHash('sha256').update(JSON.stringify(request)).digest('hex').slice(0, 16)}`,
    incident_id: request.incident_id,
    title: request.title,
    severity: request.severity,
    slack_channel: request.slack_channel,
    control: request.control,
    blocked,
    blocked_at: start,
    hosts,
    sources: [...sources],
    duration_ms: durationMs,
    poll_interval_ms: optionMs(request.watch?.poll_interval) ?? defaults.pollIntervalMs,
    baseline_ms: optionMs(request.watch?.baseline) ?? defaults.baselineMs,
    state: 'closed',
    opened_by: 'backtest',
    created_at: start,
    updated_at: end,
    expires_at: end,
    closed_at: end,
    action_ids: request.action_id ? [request.action_id] : [],
    audit: [
      { at: start, actor: 'backtest', action: 'open', detail: `${hosts.length} hosts, ${blocked.length} indicators` },
      { at: end, actor: 'backtest', action: 'close', detail: 'end of the window' },
    ],
  };
}
