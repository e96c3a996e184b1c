import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { SourceHealthSchema, type Watch } from '../../src/contracts/watch.js';
import { redisKeys } from '../../src/lib/keys.js';
import { FindingStore } from '../../src/stores/finding-store.js';
import { WatchStore } from '../../src/stores/watch-store.js';
import { WatchLister } from '../../src/stores/watch-list.js';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { watchingRecord } from '../helpers/watch-records.js';

const HOUR = 3_600_000;
const BLOCKED_AT = Date.parse('2026-12-07T09:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

const watchOf = (id: string): Watch => watchingRecord(id, BLOCKED_AT);

const health = SourceHealthSchema.parse({
  source: 'mde-prod',
  polled_until: iso(BLOCKED_AT + HOUR),
  consecutive_failures: 0,
  polled_hosts: ['msp-ws-00240|10.40.0.240|', 'msp-ws-00241|10.40.0.241|'],
  events_seen: 65,
  hosts_seen: ['MSP-WS-00240', 'MSP-WS-00241'],
  hosts_last_seen: { 'MSP-WS-00240': iso(BLOCKED_AT + HOUR - 5_000), 'MSP-WS-00241': iso(BLOCKED_AT + HOUR - 9_000) },
  gaps: [],
});

describe('watch records and source health in Redis', () => {
  const prefix = uniquePrefix('watch-format');
  const keys = redisKeys(prefix);
  const redis = new Redis(TEST_REDIS_URL);
  const store = new WatchStore(redis, keys);

  afterAll(async () => {
    redis.disconnect();
    await dropPrefix(prefix);
  });

  it('are kept packed, well under their JSON size, and read back as written', async () => {
    const watch = watchOf('w-packed');
    await store.create(watch);
    await store.saveSourceHealth(watch.id, health);

    expect(await store.get(watch.id)).toEqual(watch);
    expect(await store.sourceHealth(watch.id)).toEqual([health]);
    const stored = (await redis.getBuffer(keys.watch(watch.id)))!;
    expect(stored.length).toBeLessThan(0.6 * JSON.stringify(watch).length);
    const storedHealth = (await redis.hgetBuffer(keys.sourceHealth(watch.id), health.source))!;
    expect(storedHealth.length).toBeLessThan(0.8 * JSON.stringify(health).length);
  });

  it('written as plain JSON by an earlier version, read the same everywhere, and are packed on the next write', async () => {
    const watch = watchOf('w-earlier');
    await store.create(watch);
    await redis.set(keys.watch(watch.id), JSON.stringify(watch));
    await redis.hset(keys.sourceHealth(watch.id), health.source, JSON.stringify(health));

    expect(await store.get(watch.id)).toEqual(watch);
    expect(await store.getMany([watch.id, 'w-gone'])).toEqual([watch]);
    expect(await store.sourceHealthOf(watch.id, health.source)).toEqual(health);
    const page = await new WatchLister(redis, keys).page({ state: 'all', incident: watch.incident_id, limit: 10 });
    expect(page.watches).toEqual([watch]);

    const updated = await store.update(watch.id, (current) => ({ ...current, state: 'closed' as const }));
    expect(await store.get(watch.id)).toEqual(updated);
    expect((await redis.getBuffer(keys.watch(watch.id)))![0]).not.toBe('{'.charCodeAt(0));
  });
  it("a watch's seen events outlive its close by an hour, for a poll still in flight, and no longer", async () => {
    const watch = watchOf('w-closing');
    await store.create(watch);
    const findings = new FindingStore(redis, keys);
    await findings.apply(watch.id, [{ eventId: 'e1', time: BLOCKED_AT + 1_000, source: 'mde-prod', assessment: { type: 'normal' } }]);
    expect(await redis.pttl(keys.seenEventDigests(watch.id))).toBe(-1);

    await store.update(watch.id, (current) => ({ ...current, state: 'closed' as const }));
    const left = await redis.pttl(keys.seenEventDigests(watch.id));
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(3_600_000);
    expect(await findings.recordedAmong(watch.id, ['e1'])).toEqual([true]);
  });
});
