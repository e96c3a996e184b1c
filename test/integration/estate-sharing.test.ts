import { gzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BaselineEntry, ConnectionEvent } from '../../src/contracts/connection-event.js';
import type { Indicator } from '../../src/contracts/containment-request.js';
import type { PrevalenceSnapshot } from '../../src/contracts/prevalence.js';
import { WatchSchema, type Watch, type WatchedHost } from '../../src/contracts/watch.js';
import { buildBaseline, type BuildBaselineOptions } from '../../src/detect/baseline.js';
import { DetectionSettingsSchema } from '../../src/detect/settings.js';
import type { Assessment } from '../../src/detect/types.js';
import { redisKeys } from '../../src/lib/keys.js';
import { AllowRuleStore } from '../../src/stores/allow-rule-store.js';
import { PrevalenceStore, prevalenceReadId } from '../../src/stores/prevalence-store.js';
import { WatchStore } from '../../src/stores/watch-store.js';
import { DetectorCache } from '../../src/watch/detector-cache.js';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SOURCE = 'mde-prod';
const BLOCKED_AT = Date.parse('2026-11-20T10:00:00Z');
const BLOCKED: Indicator[] = [{ type: 'ip', value: '203.0.113.7' }];
const settings = DetectionSettingsSchema.parse({ networks: { internal: ['10.0.0.0/8'] }, builtin_catalog: false });
const iso = (ms: number) => new Date(ms).toISOString();

function readOf(destinations: number, to = BLOCKED_AT - HOUR): PrevalenceSnapshot {
  return {
    version: 1,
    source: SOURCE,
    from: iso(to - 7 * DAY),
    to: iso(to),
    refreshed_at: iso(to + 60_000),
    host_count: 4_000,
    ports: [
      { protocol: 'tcp', port: 443, hosts: 3_900 },
      { protocol: 'tcp', port: 8530, hosts: 2_100 },
      { protocol: 'udp', port: 53, hosts: 3_950 },
      ...Array.from({ length: 200 }, (_, index) => ({ protocol: 'tcp', port: 20_000 + index, hosts: 5 + (index % 40) })),
    ],
    destinations: Array.from({ length: destinations }, (_, index) => ({
      destination: index % 2 === 0 ? `192.0.${Math.floor(index / 256) % 256}.${index % 256}` : `svc-${index}.vendor.example`,
      hosts: 2 + (index % 300),
    })),
    partial: false,
  };
}

const hostsOf = (watch: number): WatchedHost[] =>
  Array.from({ length: 5 }, (_, index) => ({ hostname: `ws-${watch}-${index}`, ip: `10.${watch % 250}.${index}.10`, baseline: 'ready' }));

function rowsOf(hosts: readonly WatchedHost[]): BaselineEntry[] {
  return hosts.flatMap((host, index) =>
    [443, 445, 53].map((port) => ({
      host: host.hostname ?? '',
      protocol: port === 53 ? 'udp' : 'tcp',
      process_path: 'C:\\Windows\\System32\\svchost.exe',
      dst_ip: `10.200.0.${index + 1}`,
      dst_port: port,
      count: 30,
      first_seen: BLOCKED_AT - 6 * DAY,
      last_seen: BLOCKED_AT - HOUR,
    })),
  );
}

function watchOf(id: string, hosts: WatchedHost[]): Watch {
  return WatchSchema.parse({
    id,
    incident_id: `INC-${id}`,
    blocked: BLOCKED,
    blocked_at: iso(BLOCKED_AT),
    hosts,
    sources: [SOURCE],
    duration_ms: DAY,
    poll_interval_ms: 60_000,
    baseline_ms: 7 * DAY,
    state: 'watching',
    baseline_taken_at: iso(BLOCKED_AT + 60_000),
    opened_by: 'test',
    created_at: iso(BLOCKED_AT),
    updated_at: iso(BLOCKED_AT),
    expires_at: iso(Date.now() + DAY),
    action_ids: [],
    audit: [],
  });
}

const connection = (host: WatchedHost, destination: { ip?: string; hostname?: string }, port: number): ConnectionEvent => ({
  id: `e-${destination.ip ?? destination.hostname}-${port}`,
  source: SOURCE,
  time: BLOCKED_AT + 2 * HOUR,
  device: { hostname: host.hostname },
  process: { path: 'C:\\Users\\Public\\update.exe' },
  dst_endpoint: { ...destination, port },
  protocol: 'tcp',
  direction: 'outbound',
  outcome: 'success',
});

describe('estate prevalence reads shared among watches', () => {
  let redis: Redis;
  let prefix: string;
  let keys: ReturnType<typeof redisKeys>;
  let store: WatchStore;
  let prevalence: PrevalenceStore;
  const detectorsOf = () => new DetectorCache({ store, detection: settings, allowRules: new AllowRuleStore(redis, keys) });

  /** A watch opened, its read pinned (or not) and its baseline saved as the baseline taker does. */
  async function baselined(id: string, hosts: WatchedHost[], read: PrevalenceSnapshot, embed: boolean): Promise<Watch> {
    const watch = watchOf(id, hosts);
    await store.create(watch);
    const storedAs = embed ? undefined : await prevalence.pin(read, id);
    const estate: Pick<BuildBaselineOptions, 'estate' | 'estateReads'> = storedAs === undefined ? { estate: [read] } : { estateReads: [{ id: storedAs, read }] };
    const window = { from: BLOCKED_AT - 7 * DAY, to: BLOCKED_AT };
    await store.saveBaseline(id, buildBaseline(rowsOf(hosts), hosts, settings, { blocked: BLOCKED, window, ...estate }));
    return watch;
  }

  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL);
    prefix = uniquePrefix('estate-sharing');
    keys = redisKeys(prefix);
    store = new WatchStore(redis, keys);
    prevalence = new PrevalenceStore(redis, keys);
  });

  afterAll(async () => {
    await dropPrefix(prefix);
    redis.disconnect();
  });

  it('judges every event of a watch that references the read as one that embeds it, and two watches share one compiled read', async () => {
    const read = readOf(2_000);
    await prevalence.save(read);
    const hosts = hostsOf(1);
    const embedding = await baselined('w-embeds', hosts, read, true);
    const referencing = await baselined('w-references', hosts, read, false);
    const other = await baselined('w-other', hostsOf(2), read, false);
    const detectors = detectorsOf();
    const [embedded, referenced, sibling] = [await detectors.for(embedding), await detectors.for(referencing), await detectors.for(other)];

    expect(referenced.baseline.estates).toHaveLength(1);
    expect(sibling.baseline.estates[0]).toBe(referenced.baseline.estates[0]);
    expect(embedded.baseline.estates).toEqual([]);

    const host = hosts[0]!;
    const events = [
      ...[443, 8530, 20_007, 8443, 4444].map((port) => connection(host, { ip: '192.0.0.8' }, port)),
      ...[443, 8443].map((port) => connection(host, { ip: '198.51.100.20' }, port)),
      ...[443, 8443].map((port) => connection(host, { hostname: 'svc-9.vendor.example' }, port)),
      connection(host, { hostname: 'never-seen.example' }, 443),
      connection(host, { ip: '203.0.113.7' }, 443),
    ];
    // Finding ids hash the watch id; everything a responder reads must match.
    const shown = (assessment: Assessment) => (assessment.type === 'finding' ? { ...assessment.finding, id: '', watch_id: '' } : assessment);
    const judged = events.map((event) => referenced.assess(event));
    expect(judged.map(shown)).toEqual(events.map((event) => shown(embedded.assess(event))));
    const reasonsOf = (index: number) => {
      const assessment = judged[index];
      return assessment?.type === 'finding' ? assessment.finding.reasons.join(' | ') : '';
    };
    expect(reasonsOf(3)).toContain('port 8443/tcp was seen on 0 of 4000 hosts');
    expect(reasonsOf(1)).not.toContain('8530');
    expect(reasonsOf(8)).not.toContain('svc-9.vendor.example');
    expect(reasonsOf(9)).toContain('never-seen.example');
    expect(judged[10]?.type === 'finding' && judged[10].finding.kind).toContain('blocked_retry');
  });

  it('a watch opened after the read was stored references it: the read found for its block pins under the id it was stored with', async () => {
    const read = { ...readOf(2_000), source: 'mde-later' };
    await prevalence.save(read);
    const found = await prevalence.forBlock('mde-later', BLOCKED_AT, DAY);
    expect(found).toEqual(read);
    const watch = await baselined('w-opened-later', hostsOf(4), found!, false);

    expect((await store.baseline(watch.id))?.environment.estate.map((used) => used.read)).toEqual([prevalenceReadId(read)]);
    const detector = await detectorsOf().for(watch);
    expect(detector.baseline.estates.map((estate) => estate.id)).toEqual([prevalenceReadId(read)]);
    expect(detector.baseline.destinationHosts('svc-9.vendor.example')).toBe(11);
  });

  it('keeps a read while an active watch references it, past the refreshes that would have dropped it, and no longer once it closed', async () => {
    const old = readOf(10, BLOCKED_AT - 30 * DAY);
    await prevalence.save(old);
    const watch = await baselined('w-long', hostsOf(3), old, false);
    const refreshes = [1, 2, 3, 4, 5].map((day) => readOf(10, BLOCKED_AT - 30 * DAY + day * DAY));
    for (const refresh of refreshes) await prevalence.save(refresh);

    expect((await prevalence.list(SOURCE)).map((read) => read.to)).not.toContain(old.to);
    const detector = await detectorsOf().for(watch);
    expect(detector.baseline.estates.map((estate) => estate.hostCount)).toEqual([4_000]);
    expect(detector.baseline.portHosts('tcp', 8530)).toBe(2_100);

    await store.update(watch.id, (current) => ({ ...current, state: 'closed' }));
    await prevalence.save(readOf(10, BLOCKED_AT - 30 * DAY + 6 * DAY));
    const reopened = await detectorsOf().for({ ...watch, baseline_taken_at: iso(BLOCKED_AT + 120_000) });
    expect(reopened.baseline.estates).toEqual([]);
  });

  it('still reads a kept read stored by an earlier version, which a new baseline then embeds', async () => {
    const legacy = { ...readOf(10, BLOCKED_AT - 2 * HOUR), source: 'legacy-src' };
    // Earlier versions gzipped the read into the list entry itself.
    await redis.lpush(keys.prevalence('legacy-src'), gzipSync(JSON.stringify(legacy)));
    expect(await prevalence.list('legacy-src')).toEqual([legacy]);
    expect(await prevalence.pin(legacy, 'w-legacy')).toBeUndefined();
  });

  it("a referenced baseline does not copy the estate into the watch's Redis key (the heap figures are in npm run bench)", async () => {
    const WATCHES = 20;
    const read = readOf(20_000);
    await prevalence.save(read);
    const embedding: Watch[] = [];
    const referencing: Watch[] = [];
    for (let index = 0; index < WATCHES; index++) {
      embedding.push(await baselined(`w-before-${index}`, hostsOf(index), read, true));
      referencing.push(await baselined(`w-after-${index}`, hostsOf(index), read, false));
    }
    const redisBytes = async (watches: readonly Watch[]) => {
      let total = 0;
      for (const watch of watches) total += Number(await redis.call('MEMORY', 'USAGE', keys.baseline(watch.id), 'SAMPLES', '0'));
      return total / watches.length;
    };
    const redisBefore = await redisBytes(embedding);
    const redisAfter = await redisBytes(referencing);
    expect(redisAfter * 5).toBeLessThan(redisBefore);
  });
});
