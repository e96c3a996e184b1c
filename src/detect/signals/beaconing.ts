import * as reasons from '../reasons.js';
import { SIGNAL_WEIGHTS as W } from '../scoring.js';
import type { SignalFactory } from './signal.js';

/** Intervals a beacon needs, and the jitter (median absolute deviation over median) it may have, to count as steady. */
export const STEADY_BEACON = { intervals: 10, jitterShare: 0.1 } as const;
/**
 * A rhythm that has held this long, over this many intervals, is persistent (RITA's duration sub-score: a beacon
 * covers the day, an application session does not).
 */
export const PERSISTENT_BEACON = { spanMs: 6 * 3_600_000, intervals: 12 } as const;

/**
 * `beaconing`: the tuple's connections are regular (`tuning.beacon_min_score`, judged by `Detector.judgeBeacon`).
 * Regular timing is what push services, NTP and CDN polling also show, so it only reinforces other evidence: a
 * steady beacon (many intervals, little jitter) a little more than a loose one, and one that has held for hours
 * more again. Alone it never reports; with only a new destination it is low, unless the rhythm has held for hours
 * towards a bare IP.
 */
export const beaconingSignal: SignalFactory = () => ({
  kind: 'beaconing',
  judge({ event, facts, beacon }) {
    if (!beacon) return undefined;
    const { intervalMs, jitterMs, spanMs } = beacon.beacon;
    const intervals = Math.max(beacon.beacon.connections, beacon.times) - 1;
    // The history keeps the newest connections only; the count of all of them tells how long the rhythm has held.
    const heldFor = Math.max(spanMs, intervals * intervalMs);
    const persistent = intervals >= PERSISTENT_BEACON.intervals && heldFor >= PERSISTENT_BEACON.spanMs;
    const steady = intervals >= STEADY_BEACON.intervals && jitterMs <= STEADY_BEACON.jitterShare * intervalMs;
    return {
      strength: persistent ? W.beaconingPersistent : steady ? W.beaconingSteady : W.beaconing,
      reasons: [reasons.beaconReason('connects to', beaconTarget(event.dst_endpoint, facts), beacon.beacon, beacon.times)],
    };
  },
});

/** "192.0.2.44:443", "[2001:db8::7]:443", or "192.0.2.9 (icmp)" without a port. */
export function beaconTarget(
  dst: { ip?: string | undefined; hostname?: string | undefined },
  facts: { dstIp: string | undefined; port: number | undefined; protocol: string },
): string {
  const address = dst.ip ?? dst.hostname ?? facts.dstIp ?? 'the destination';
  if (facts.port === undefined) return `${address} (${facts.protocol})`;
  return address.includes(':') ? `[${address}]:${facts.port}` : `${address}:${facts.port}`;
}
