import type { SourceHealth, Watch } from '../contracts/watch.js';
import { hostLabel } from '../contracts/host-identity.js';

/** When any source last heard from each host during the window (epoch ms), by lower-cased label. */
export function lastHeardByHost(coverage: readonly SourceHealth[]): Map<string, number> {
  const lastHeard = new Map<string, number>();
  for (const health of coverage) {
    for (const [label, at] of Object.entries(health.hosts_last_seen ?? {})) {
      const key = label.toLowerCase();
      lastHeard.set(key, Math.max(lastHeard.get(key) ?? 0, Date.parse(at)));
    }
  }
  return lastHeard;
}

/** Shorter silences are normal for an idle host; the verdict uses the same floor. */
export const SILENCE_FLOOR_MS = 10 * 60_000;

/** How long a host that was reporting may stay silent before the watch shows it as gone quiet. */
export const quietAfterMs = (watch: Pick<Watch, 'poll_interval_ms'>): number => Math.max(SILENCE_FLOOR_MS, 3 * watch.poll_interval_ms);

/**
 * Hosts some source heard from during the window, and none since `quietAfterMs` before `now` (plus the freshest
 * source's lag, since telemetry arrives late), by label, with the time each was last heard (ISO 8601). An implant that
 * stops the EDR agent after the block looks like this.
 */
export function quietHosts(watch: Watch, coverage: readonly SourceHealth[], now: number): Map<string, string> {
  const lags = coverage.flatMap((health) => (health.lag_ms === undefined ? [] : [health.lag_ms]));
  const allowed = quietAfterMs(watch) + (lags.length > 0 ? Math.min(...lags) : 0);
  const lastHeard = lastHeardByHost(coverage);
  const quiet = new Map<string, string>();
  for (const host of watch.hosts) {
    const label = hostLabel(host);
    const heard = lastHeard.get(label.toLowerCase());
    if (heard !== undefined && now - heard > allowed) quiet.set(label, new Date(heard).toISOString());
  }
  return quiet;
}
