import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { SourceHealthSchema, type Watch } from '../../src/contracts/watch.js';
import { redisKeys } from '../../src/lib/keys.js';
import { BatchedReads } from '../../src/stores/batched-reads.js';
import { PollPaceStore } from '../../src/stores/poll-pace-store.js';
import { SourceFaults } from '../../src/stores/source-faults.js';
import { WatchStore } from '../../src/stores/watch-store.js';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { watchingRecord } from '../helpers/watch-records.js';

const BLOCKED_AT = Date.parse('2026-12-08T09:00:00Z');

const watchOf = (id: string): Watch => watchingRecord(id, BLOCKED_AT);

/** Counts the writes the client makes to its socket: one per round trip it starts. */
function countWrites(redis: Redis): { writes: number } {
  const counter = { writes: 0 };
  const stream = (redis as unknown as { stream: { write: (...args: unknown[]) => boolean } }).stream;
  const write = stream.write.bind(stream);
  stream.write = (...args: unknown[]) => {
    counter.writes += 1;
    return write(...args);
  };
  return counter;
}

describe('reads of several stores batched', () => {
  const prefix = uniquePrefix('batched-reads');
  const keys = redisKeys(prefix);
  const redis = new Redis(TEST_REDIS_URL);
  const store = new WatchStore(redis, keys);
  const faults = new SourceFaults(redis, keys);
  const paces = new PollPaceStore(redis, keys);

  afterAll(async () => {
    redis.disconnect();
    await dropPrefix(prefix);
  });

  it('go to Redis in one write and read back what each store reads on its own', async () => {
    const [first, second] = [watchOf('w-1'), watchOf('w-2')];
    await store.create(first);
    await store.create(second);
    const health = SourceHealthSchema.parse({ source: 'mde-prod', consecutive_failures: 0, polled_hosts: [], events_seen: 3, hosts_seen: ['WS-w-2'], gaps: [] });
    await store.saveSourceHealth(second.id, health);
    await faults.record('mde-prod', { code: 'source.credentials_rejected', kind: 'terminal', message: 'revoked' }, BLOCKED_AT, 60_000);
    await paces.set('mde-prod', { asked_ms: 10_000, every_ms: 30_000, queries_per_poll: 3, budget_per_minute: 6 }, BLOCKED_AT);
    const ids = [first.id, 'w-missing', second.id];

    await redis.ping();
    const counter = countWrites(redis);
    const batch = new BatchedReads(redis);
    const watches = store.readMany(batch, ids);
    const healths = store.readSourceHealthOfMany(batch, ids, 'mde-prod');
    const fault = faults.read(batch, 'mde-prod');
    const pace = paces.read(batch, 'mde-prod');
    expect(() => watches()).toThrow(/before the batch was sent/);
    await batch.send();
    expect(counter.writes).toBe(1);

    expect(watches().map((watch) => watch.id)).toEqual([first.id, second.id]);
    expect(healths()).toEqual([undefined, undefined, health]);
    expect(fault()).toEqual(await faults.get('mde-prod'));
    expect(fault()?.code).toBe('source.credentials_rejected');
    expect(pace()).toEqual(await paces.get('mde-prod'));
    expect(pace()?.every_ms).toBe(30_000);
  });

  it('fail as a whole when one of their commands fails', async () => {
    // The faults hash turned into a string: HGET answers WRONGTYPE.
    const broken = uniquePrefix('batched-reads-broken');
    const brokenKeys = redisKeys(broken);
    await redis.set(brokenKeys.sourceFaults, 'not a hash');
    try {
      const batch = new BatchedReads(redis);
      const watches = new WatchStore(redis, brokenKeys).readMany(batch, ['w-1']);
      new SourceFaults(redis, brokenKeys).read(batch, 'mde-prod');
      await expect(batch.send()).rejects.toThrow(/WRONGTYPE/);
      expect(() => watches()).toThrow(/before the batch was sent/);
    } finally {
      await dropPrefix(broken);
    }
  });
});
