const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const UNITS: ReadonlyArray<readonly [number, string]> = [
  [DAY, 'd'],
  [HOUR, 'h'],
  [MINUTE, 'm'],
  [SECOND, 's'],
];

/** A duration as its two largest units, rounded down: 83_520_000 → "23h 12m", 90_000 → "1m 30s", 0 → "0s". */
export function formatDurationShort(ms: number): string {
  const total = Math.max(0, Math.floor(ms));
  if (total < SECOND) return total === 0 ? '0s' : '<1s';
  const parts: string[] = [];
  let rest = total;
  for (const [size, unit] of UNITS) {
    if (parts.length === 2) break;
    const value = Math.floor(rest / size);
    rest -= value * size;
    if (value > 0) parts.push(`${value}${unit}`);
    else if (parts.length > 0) break;
  }
  return parts.join(' ');
}

const parse = (iso: string): number | undefined => {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
};

/** "23h 12m left", "<1m left" or "ended"; minute precision, so a status message does not change every second. */
export function formatTimeLeft(expiresAt: string, now: number): string {
  const end = parse(expiresAt);
  if (end === undefined) return 'unknown time left';
  const left = end - now;
  if (left <= 0) return 'ended';
  if (left < MINUTE) return '<1m left';
  return `${formatDurationShort(Math.floor(left / MINUTE) * MINUTE)} left`;
}

/** "just now", "3m ago", "2h 5m ago", or "in 4m" for a time in the future. */
export function formatRelative(iso: string, now: number): string {
  const at = parse(iso);
  if (at === undefined) return 'at an unknown time';
  const delta = now - at;
  if (Math.abs(delta) < 5 * SECOND) return 'just now';
  return delta > 0 ? `${formatDurationShort(delta)} ago` : `in ${formatDurationShort(-delta)}`;
}

/** "2026-11-27 10:00:00 UTC"; an unparseable input is returned unchanged (the caller escapes it). */
export function formatUtc(iso: string): string {
  const at = parse(iso);
  if (at === undefined) return iso;
  return `${new Date(at).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
