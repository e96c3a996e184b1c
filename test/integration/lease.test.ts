import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { holdLease } from '../../src/lib/lock.js';
import { TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const redis = new Redis(TEST_REDIS_URL);
afterAll(() => redis.quit());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a lease on a source', () => {
  it('is refused to a second holder while the first lives, however long its work runs past the ttl', async () => {
    const key = `{${uniquePrefix('lease')}}:lock`;
    // Renewed every 333 ms: only a stall of twice that (a very loaded machine) would let it lapse.
    const first = await holdLease(redis, key, { ttlMs: 1_000 });
    expect(first).toBeDefined();
    await sleep(2_500);
    expect(await holdLease(redis, key, { ttlMs: 1_000 })).toBeUndefined();
    await first!.release();
    const second = await holdLease(redis, key, { ttlMs: 1_000 });
    expect(second).toBeDefined();
    await second!.release();
  });

  it('is handed to a waiting holder as soon as the first releases it', async () => {
    const key = `{${uniquePrefix('lease')}}:lock`;
    const first = await holdLease(redis, key, { ttlMs: 10_000 });
    const waiting = holdLease(redis, key, { ttlMs: 10_000, waitMs: 20_000 });
    await sleep(200);
    await first!.release();
    const second = await waiting;
    expect(second).toBeDefined();
    expect(await redis.pttl(key)).toBeGreaterThan(0);
    await second!.release();
    expect(await redis.exists(key)).toBe(0);
  });

  it('lapses when its holder dies, and the waiter gets it then', async () => {
    const key = `{${uniquePrefix('lease')}}:lock`;
    const doomed = new Redis(TEST_REDIS_URL);
    expect(await holdLease(doomed, key, { ttlMs: 600 })).toBeDefined();
    doomed.disconnect();
    const next = await holdLease(redis, key, { ttlMs: 600, waitMs: 20_000 });
    expect(next).toBeDefined();
    await next!.release();
  });

  it('is not released by a holder whose lease lapsed and was taken by another', async () => {
    const key = `{${uniquePrefix('lease')}}:lock`;
    const stale = await holdLease(redis, key, { ttlMs: 10_000 });
    await redis.del(key);
    const current = await holdLease(redis, key, { ttlMs: 10_000 });
    const token = await redis.get(key);
    await stale!.release();
    expect(await redis.get(key)).toBe(token);
    await current!.release();
  });
});
