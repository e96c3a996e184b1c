/**
 * Beacon scoring after RITA (activecm/rita v5 `analysis/beacons.go`; the connection-count idea from the legacy
 * analyzer): how regular one tuple's connections are. Pure: the same function scores a live watch's Redis history
 * and a backtest's in-memory one.
 *
 * Sub-scores, each 0-1:
 * - timestamp: the gaps between connections (zero gaps dropped), Bowley skew (1 - |skew|) and MAD dispersion
 *   ((median - MAD) / median);
 * - size: the same two statistics on bytes per connection, only when the telemetry carries bytes (flows do,
 *   Sysmon and EDR connection events mostly do not);
 * - count: how many gaps back the regularity, whole from `FULL_COUNT_INTERVALS`.
 * RITA's histogram and duration sub-scores need hours of data; a watch must judge within minutes, so the score is
 * the weighted mean over the sub-scores available, renormalised.
 */

/** One connection of a tuple. */
export interface BeaconPoint {
  /** Epoch ms. */
  time: number;
  /** Bytes the host sent on it, when the source reports bytes. */
  bytes?: number | undefined;
}

export interface BeaconScore {
  /** Weighted mean of the available sub-scores, 0-1. */
  score: number;
  /** Connections scored. */
  connections: number;
  /** Median gap between connections, ms. */
  intervalMs: number;
  /** Median absolute deviation of the gaps, ms: the typical jitter. */
  jitterMs: number;
  /** Median bytes per connection, when the size sub-score was available. */
  medianBytes: number | undefined;
  timestamp: number;
  /** Undefined when fewer than `minConnections` connections carried bytes, or they carried none. */
  size: number | undefined;
  count: number;
}

export interface BeaconScoringOptions {
  /** Fewest connections scored (RITA's `unique_connection_threshold`); values below 4 count as 4. Default 4. */
  minConnections?: number;
}

/**
 * Timestamp regularity is the one feature every source has, so it weighs as much as the two others together.
 * With these weights a perfectly regular beacon reaches 0.8 at its fifth connection without bytes.
 */
export const BEACON_WEIGHTS = { timestamp: 0.5, size: 0.25, count: 0.25 } as const;
export const FULL_COUNT_INTERVALS = 10;
export const MIN_BEACON_CONNECTIONS = 4;
/** RITA needs three non-zero gaps before it trusts the quartiles. */
const MIN_INTERVALS = 3;
/**
 * RITA treats an inter-quartile range under 10 (seconds, or bytes) as no skew at all: noise around a fixed value.
 * Relative to the median (a quarter of it), the same rule holds for a 7 s beacon and a 1 h one.
 */
const SKEW_IQR_FLOOR = 0.25;
/**
 * RITA averages skew and dispersion. Over the dozen gaps a watch has early on, Bowley's skew is mostly sampling
 * noise (a uniform ±30 % sleep shows |skew| up to 0.6), while MAD separates beacons from browsing reliably, so
 * skew weighs a quarter.
 */
const SKEW_SHARE = 0.25;

/** Scores a tuple's connections (any order); undefined until there are enough of them. */
export function scoreBeacon(points: readonly BeaconPoint[], options: BeaconScoringOptions = {}): BeaconScore | undefined {
  const minConnections = Math.max(MIN_BEACON_CONNECTIONS, options.minConnections ?? MIN_BEACON_CONNECTIONS);
  if (points.length < minConnections) return undefined;
  const times = points.map((point) => point.time).sort(ascending);
  const gaps: number[] = [];
  for (let i = 1; i < times.length; i++) {
    const gap = (times[i] as number) - (times[i - 1] as number);
    if (gap > 0) gaps.push(gap);
  }
  if (gaps.length < MIN_INTERVALS) return undefined;
  gaps.sort(ascending);
  const timing = regularity(gaps);

  const sizes: number[] = [];
  for (const point of points) if (point.bytes !== undefined && point.bytes >= 0) sizes.push(point.bytes);
  sizes.sort(ascending);
  // A run of empty connections (failed attempts) says nothing about a payload: no size sub-score then.
  const sizing = sizes.length >= minConnections && quantile(sizes, 0.5) >= 1 ? regularity(sizes) : undefined;

  const count = Math.min(1, gaps.length / FULL_COUNT_INTERVALS);
  let weighted = BEACON_WEIGHTS.timestamp * timing.score + BEACON_WEIGHTS.count * count;
  let weights = BEACON_WEIGHTS.timestamp + BEACON_WEIGHTS.count;
  if (sizing) {
    weighted += BEACON_WEIGHTS.size * sizing.score;
    weights += BEACON_WEIGHTS.size;
  }
  return {
    score: round3(weighted / weights),
    connections: points.length,
    intervalMs: timing.median,
    jitterMs: timing.mad,
    medianBytes: sizing?.median,
    timestamp: round3(timing.score),
    size: sizing === undefined ? undefined : round3(sizing.score),
    count: round3(count),
  };
}

interface Regularity {
  score: number;
  median: number;
  mad: number;
}

/** Bowley skew and MAD dispersion of sorted values (median at least 1), weighed by `SKEW_SHARE`. */
function regularity(sorted: readonly number[]): Regularity {
  const q1 = quantile(sorted, 0.25);
  const q2 = quantile(sorted, 0.5);
  const q3 = quantile(sorted, 0.75);
  const iqr = q3 - q1;
  const skew = iqr < SKEW_IQR_FLOOR * q2 || q2 === q1 || q2 === q3 ? 0 : (q1 + q3 - 2 * q2) / iqr;
  const deviations = sorted.map((value) => Math.abs(value - q2)).sort(ascending);
  const mad = quantile(deviations, 0.5);
  const dispersion = Math.max(0, (q2 - mad) / q2);
  return { score: SKEW_SHARE * (1 - Math.abs(skew)) + (1 - SKEW_SHARE) * dispersion, median: q2, mad };
}

/** Linear interpolation between closest ranks (the common "type 7" quantile). */
function quantile(sorted: readonly number[], p: number): number {
  const position = (sorted.length - 1) * p;
  const below = Math.floor(position);
  const low = sorted[below] as number;
  const high = sorted[Math.min(below + 1, sorted.length - 1)] as number;
  return low + (high - low) * (position - below);
}

const ascending = (a: number, b: number): number => a - b;
const round3 = (value: number): number => Math.round(value * 1000) / 1000;
