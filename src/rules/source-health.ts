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
  const gaps = [...health.gaps];
  const open = health.consecutive_failures > 0 ? gaps.at(-1) : undefined;
  if (open) open.to = at;
  else gaps.push({ from: health.polled_until ?? unreadFrom, to: at, reason: `${error.kind}: ${error.message}` });
  return gaps.slice(-MAX_GAPS_KEPT);
}

export function closeGap(health: SourceHealth, at: string): SourceHealth['gaps'] {
  const gaps = [...health.gaps];
  const open = health.consecutive_failures > 0 ? gaps.at(-1) : undefined;
  if (open) open.to = at;
  return gaps;
}

