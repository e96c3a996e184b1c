/**
 * How much a baseline's silence is worth. "Never seen" means little after one hour of telemetry and a lot after
 * weeks of it, whatever the window's nominal length (a "45-day baseline" can hold one hour of rows). Signals that
 * rest on absence scale their weight by this depth, and their reasons say how much history there was.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Active hours of one host's telemetry at which its own history counts in full: a working day and a half, twice. */
export const FULL_HOST_HISTORY_HOURS = 24;
/** Host-hours of estate telemetry at which estate prevalence counts in full. */
export const FULL_ESTATE_HISTORY_HOURS = 48;

/** 0-1: the share of full weight a "never seen" judgement gets from `hours` of history; unknown counts as full. */
export function historyDepth(hours: number | undefined, fullAt: number): number {
  if (hours === undefined) return 1;
  return Math.min(1, Math.max(0, hours) / fullAt);
}

/** "7 days", "12 hours", "45 minutes". */
export function spanText(ms: number): string {
  if (ms >= DAY) return plural(Math.round(ms / DAY), 'day');
  if (ms >= HOUR) return plural(Math.round(ms / HOUR), 'hour');
  return plural(Math.max(1, Math.round(ms / 60_000)), 'minute');
}

/**
 * Where a reason says history was looked for: "in 1 h of telemetry over 45 days", "in the 7-day baseline" when
 * the hours were not recorded, "in the baseline" when nothing is known.
 */
export function historyText(hours: number | undefined, windowMs: number | undefined): string {
  if (hours === undefined) return windowMs === undefined ? 'in the baseline' : `in the ${windowLabel(windowMs)} baseline`;
  const over = windowMs === undefined ? '' : ` over ${spanText(windowMs)}`;
  return `in ${hours} h of telemetry${over}`;
}

function windowLabel(ms: number): string {
  if (ms >= DAY) return `${Math.round(ms / DAY)}-day`;
  if (ms >= HOUR) return `${Math.round(ms / HOUR)}-hour`;
  return `${Math.max(1, Math.round(ms / 60_000))}-minute`;
}

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;
