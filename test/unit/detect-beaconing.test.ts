import { describe, expect, it } from 'vitest';
import { InMemoryBeaconHistory, type BeaconSample } from '../../src/detect/beacon-history.js';
import { BURST_GAP_MS, scoreBeacon, type BeaconPoint } from '../../src/detect/beaconing.js';
import { eventDigest } from '../../src/lib/event-digest.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const T0 = Date.parse('2026-11-27T10:00:00Z');
const THRESHOLD = 0.8;
const SEEDS = Array.from({ length: 50 }, (_, index) => index + 1);

/** A small deterministic generator (mulberry32), so every run scores the same traffic. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** An implant sleeping `periodMs` ± `jitter` (a share of the period) between connections. */
function beacon(seed: number, count: number, periodMs: number, jitter: number, bytes?: number): BeaconPoint[] {
  const next = random(seed);
  let time = T0;
  return Array.from({ length: count }, () => {
    time += Math.round(periodMs * (1 + (next() * 2 - 1) * jitter));
    return { time, bytes };
  });
}

/** A user browsing: connections arrive at random (exponential gaps), pages of very different sizes. */
function browsing(seed: number, count: number, meanGapMs: number, withBytes = false): BeaconPoint[] {
  const next = random(seed);
  let time = T0;
  return Array.from({ length: count }, () => {
    time += Math.round(-Math.log(1 - next()) * meanGapMs);
    return { time, bytes: withBytes ? Math.round(Math.exp(6 + next() * 5)) : undefined };
  });
}

const scoreOf = (points: BeaconPoint[]): number => {
  const result = scoreBeacon(points);
  if (!result) throw new Error('expected a score');
  return result.score;
};

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

describe('beacon scoring after RITA', () => {
  it('an implant calling home every 60 s with 10 % jitter scores high after a dozen connections, and says how often', () => {
    for (const seed of SEEDS) expect(scoreOf(beacon(seed, 12, MINUTE, 0.1))).toBeGreaterThanOrEqual(0.9);
    const result = scoreBeacon(beacon(7, 12, MINUTE, 0.1));
    expect(result?.intervalMs).toBeGreaterThan(57 * SECOND);
    expect(result?.intervalMs).toBeLessThan(63 * SECOND);
    expect(result?.jitterMs).toBeLessThan(6 * SECOND);
    expect(result?.connections).toBe(12);
  });

  it('a slow beacon, 5 min with 30 % jitter, scores as one in nearly every run after two dozen connections', () => {
    const scores = SEEDS.map((seed) => scoreOf(beacon(seed, 24, 5 * MINUTE, 0.3)));
    // A uniform ±30 % sleep has a typical deviation of 15 %; over 23 gaps it sometimes reaches the 20 % limit.
    expect(scores.filter((score) => score >= THRESHOLD).length).toBeGreaterThanOrEqual(45);
    expect(median(scores)).toBeGreaterThan(0.85);
  });

  it('random browsing stays well below the beacon threshold, whatever the seed', () => {
    const scores = SEEDS.map((seed) => scoreOf(browsing(seed, 50, 45 * SECOND)));
    for (const score of scores) expect(score).toBeLessThan(THRESHOLD);
    expect(median(scores)).toBeLessThan(0.7);
    const sized = browsing(1, 50, 45 * SECOND, true);
    expect(scoreOf(sized)).toBe(scoreOf(sized.map(({ time }) => ({ time }))));
  });

  it('with the same number of connections, a beacon always outscores browsing', () => {
    for (const seed of SEEDS) {
      expect(scoreOf(beacon(seed, 20, 45 * SECOND, 0.2))).toBeGreaterThan(scoreOf(browsing(seed, 20, 45 * SECOND)));
    }
  });

  it('four evenly spaced connections are regular already: the score is timing alone, with no bonus for their number', () => {
    const points = [0, 60, 120, 180].map((seconds) => ({ time: T0 + seconds * SECOND }));
    expect(scoreBeacon(points)).toMatchObject({ score: 1, timestamp: 1, size: undefined, connections: 4 });
    const many = Array.from({ length: 40 }, (_, index) => ({ time: T0 + index * MINUTE }));
    expect(scoreOf(many)).toBe(1);
  });

  it('steady sizes are reported but never make up for loose timing: a constant-size keepalive with 46 % jitter is no beacon', () => {
    for (const seed of SEEDS) {
      const loose = beacon(seed, 30, 40 * SECOND, 0.92, 312);
      const result = scoreBeacon(loose);
      expect(result?.size).toBe(1);
      expect(result!.score).toBeLessThan(THRESHOLD);
    }
    const steady = scoreBeacon(beacon(3, 6, MINUTE, 0.05, 312));
    expect(steady?.medianBytes).toBe(312);
    expect(steady!.score).toBe(scoreBeacon(beacon(3, 6, MINUTE, 0.05))!.score);
  });

  it('parallel connections opened within milliseconds are one burst, never "every 1 ms"', () => {
    const parallel = Array.from({ length: 6 }, (_, index) => ({ time: T0 + index }));
    expect(scoreBeacon(parallel)).toBeUndefined();
    const pages = [0, 37, 95, 180].flatMap((seconds) => Array.from({ length: 6 }, (_, index) => ({ time: T0 + seconds * SECOND + index * 3 })));
    const result = scoreBeacon(pages);
    expect(result?.connections).toBe(4);
    expect(result!.intervalMs).toBeGreaterThanOrEqual(BURST_GAP_MS);
    const storm = Array.from({ length: 50 }, (_, index) => ({ time: T0 + index * 300 }));
    expect(scoreBeacon(storm)?.intervalMs ?? BURST_GAP_MS).toBeGreaterThanOrEqual(BURST_GAP_MS);
  });

  it('empty connections (failed retries, 0 bytes) give no size sub-score rather than a perfect one', () => {
    expect(scoreBeacon(beacon(5, 8, 5 * SECOND, 0.2, 0))?.size).toBeUndefined();
  });

  it('needs four connections and three non-zero gaps: duplicates at the same instant are not gaps', () => {
    expect(scoreBeacon(beacon(1, 3, MINUTE, 0))).toBeUndefined();
    const duplicated = [0, 0, 60, 120].map((seconds) => ({ time: T0 + seconds * SECOND }));
    expect(scoreBeacon(duplicated)).toBeUndefined();
    expect(scoreBeacon(beacon(1, 6, MINUTE, 0.1), { minConnections: 8 })).toBeUndefined();
    expect(scoreBeacon(beacon(1, 4, MINUTE, 0.1), { minConnections: 2 })).toBeDefined();
  });

  it('the order connections arrive in does not matter', () => {
    const points = beacon(11, 15, MINUTE, 0.1, 200);
    expect(scoreBeacon([...points].reverse())).toEqual(scoreBeacon(points));
  });
});

describe('the in-memory beacon history a backtest uses', () => {
  const sample = (index: number): BeaconSample => ({ id: `e${index}`, time: T0 + index * MINUTE, bytes: 100 + index });

  it('recording the same events again (a replayed poll) changes neither the samples nor the count', async () => {
    const history = new InMemoryBeaconHistory();
    const first = await history.record(new Map([['t1', [sample(0), sample(1), sample(2)]]]));
    const again = await history.record(new Map([['t1', [sample(2), sample(1), sample(0)]]]));
    expect(again).toEqual(first);
    expect(again.get('t1')).toMatchObject({ total: 3, samples: ['e0', 'e1', 'e2'].map((id) => ({ id: eventDigest(id) })) });
  });

  it('keeps only the newest samples, counts every one, and does not count a trimmed one twice when it is replayed', async () => {
    const history = new InMemoryBeaconHistory({ limit: 5 });
    const all = Array.from({ length: 8 }, (_, index) => sample(index));
    const track = (await history.record(new Map([['t1', all]]))).get('t1');
    expect(track?.total).toBe(8);
    expect(track?.samples.map((kept) => kept.id)).toEqual(['e3', 'e4', 'e5', 'e6', 'e7'].map(eventDigest));
    const replayed = (await history.record(new Map([['t1', [sample(0)]]]))).get('t1');
    expect(replayed?.total).toBe(8);
    expect(replayed?.samples[0]?.id).toBe(eventDigest('e3'));
  });

  it('keeps tuples apart', async () => {
    const history = new InMemoryBeaconHistory();
    const tracks = await history.record(new Map([['a', [sample(0)]], ['b', [sample(1), sample(2)]]]));
    expect(tracks.get('a')?.total).toBe(1);
    expect(tracks.get('b')?.total).toBe(2);
  });
});
