/**
 * Beacon scoring after RITA (activecm/rita v5 `analysis/beacons.go`): how regular one tuple's connections are. Pure:
 * the same function scores a live watch's Redis history and a backtest's in-memory one.
 *
 * Where it departs from RITA, and why:
 * - Connections less than `BURST_GAP_MS` apart are one burst (a browser or an SMB client opening parallel
 *   connections, a retry storm): only bursts count, as RITA counts unique whole-second timestamps and Flare drops
 *   gaps under 2 s. Six connections in a millisecond are one event, never "every 1 ms".
 * - The score is the timing regularity alone: the MAD dispersion ((median - MAD) / median) of the gaps between
 *   bursts, so the default threshold of 0.8 means a jitter of at most a fifth of the interval. Byte-size regularity
 *   and the number of connections are reported, never added: a constant-size keepalive with 46 % jitter must not
 *   pass for a beacon (RITA's legacy analyzer dropped its count part for inflating scores the same way).
 * - RITA's duration sub-score (how much of the day the rhythm covers) needs hours of data, and a watch must judge
 *   within minutes: it is not part of the score, but the beaconing signal weighs a rhythm that has held for hours
 *   more (src/detect/signals/beaconing.ts).
 */

/** One connection of a tuple. */
export interface BeaconPoint {
  /** Epoch ms. */
  time: number;
  /** Bytes the host sent on it, when the source reports bytes. */
  bytes?: number | undefined;
}

export interface BeaconScore {
  /** Timing regularity, 0-1. */
  score: number;
  /** Bursts scored (connections closer than `BURST_GAP_MS` count once). */
  connections: number;
  /** Median gap between bursts, ms. */
  intervalMs: number;
  /** Median absolute deviation of the gaps, ms: the typical jitter. */
  jitterMs: number;
  /** From the first connection scored to the last, ms. */
  spanMs: number;
  /** Median bytes per connection, when at least `minConnections` connections carried bytes. */
  medianBytes: number | undefined;
  timestamp: number;
  /** Size regularity, when the telemetry carries bytes; reported, not part of `score`. */
  size: number | undefined;
}

export interface BeaconScoringOptions {
  /** Fewest bursts scored (RITA's `unique_connection_threshold`); values below 4 count as 4. Default 4. */
  minConnections?: number;
}

/** Connections closer together than this are one burst (Flare's `min_interval`; RITA's whole seconds, rounded up). */
export const BURST_GAP_MS = 2_000;
export const MIN_BEACON_CONNECTIONS = 4;
/** RITA needs three non-zero gaps before it trusts the quartiles. */
const MIN_INTERVALS = 3;
/** Scores a tuple's connections (any order); undefined until there are enough bursts. */
export function scoreBeacon(points: readonly BeaconPoint[], options: BeaconScoringOptions = {}): BeaconScore | undefined {
  const minConnections = Math.max(MIN_BEACON_CONNECTIONS, options.minConnections ?? MIN_BEACON_CONNECTIONS);
  if (points.length < minConnections) return undefined;
  const times = points.map((point) => point.time).sort(ascending);
  const gaps: number[] = [];
  let burstStart = times[0] as number;
  for (let i = 1; i < times.length; i++) {
    const time = times[i] as number;
    if (time - burstStart < BURST_GAP_MS) continue;
    gaps.push(time - burstStart);
    burstStart = time;
  }
  const bursts = gaps.length + 1;
  if (bursts < minConnections || gaps.length < MIN_INTERVALS) return undefined;
  gaps.sort(ascending);
  const timing = regularity(gaps);

  const sizes: number[] = [];
  for (const point of points) if (point.bytes !== undefined && point.bytes >= 0) sizes.push(point.bytes);
  sizes.sort(ascending);
  // A run of empty connections (failed attempts) says nothing about a payload: no size sub-score then.
  const sizing = sizes.length >= minConnections && quantile(sizes, 0.5) >= 1 ? regularity(sizes) : undefined;

  return {
    score: round3(timing.score),
    connections: bursts,
    intervalMs: timing.median,
    jitterMs: timing.mad,
    spanMs: (times[times.length - 1] as number) - (times[0] as number),
    medianBytes: sizing?.median,
    timestamp: round3(timing.score),
    size: sizing === undefined ? undefined : round3(sizing.score),
  };
}

interface Regularity {
  score: number;
  median: number;
  mad: number;
}

/**
 * MAD dispersion of sorted values, (median - MAD) / median, floored at 0: 1 for a fixed value, 0.8 when the typical
 * deviation is a fifth of the median. RITA averages it with Bowley's skew; over the dozen gaps a watch has early on
 * skew is mostly sampling noise (a uniform ±30 % sleep shows |skew| up to 0.7), so it is left out.
 */
function regularity(sorted: readonly number[]): Regularity {
  const median = quantile(sorted, 0.5);
  const deviations = sorted.map((value) => Math.abs(value - median)).sort(ascending);
  const mad = quantile(deviations, 0.5);
  return { score: Math.max(0, (median - mad) / median), median, mad };
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
