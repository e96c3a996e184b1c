import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { holdLease } from '../../src/lib/lock.js';
import { TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const redis = new Redis(TEST_REDIS_URL);
afterAll(() => redis.quit());

/** Resolves once the lease on `key` has been renewed `times` times: seen as its TTL going back up. */
async function renewals(key: string, times: number): Promise<void> {
  let seen = 0;
  let last = await redis.pttl(key);
  await waitFor(
    async () => {
      const ttl = await redis.pttl(key);
      if (ttl < 0) throw new Error(`the lease on ${key} lapsed`);
      if (ttl > last) seen += 1;
      last = ttl;
      return seen >= times;
    },
    { everyMs: 20, what: `${times} renewals of ${key}` },
  );
}

/** Resolves once the connection named `name` has tried to take a lease (its last command a SET, refused). */
async function hasTried(name: string): Promise<void> {
  await waitFor(
    async () => String(await redis.client('LIST')).split('\n').some((client) => client.includes(` name=${name} `) && client.includes(' cmd=set ')),
    { everyMs: 20, what: `${name} to try for the lease` },
  );
}

describe('a lease on a source', () => {
  it('is refused to a second holder while the first lives, however long its work runs past the ttl', async () => {
    const key = `{${uniquePrefix('lease')}}:lock`;
    // Renewed every second: only a stall of twice that would let it lapse. Four renewals take it past its first ttl.
    const first = await holdLease(redis, key, { ttlMs: 3_000 });
    expect(first).toBeDefined();
    await renewals(key, 4);
    expect(await holdLease(redis, key, { ttlMs: 3_000 })).toBeUndefined();
    await first!.release();
    const second = await holdLease(redis, key, { ttlMs: 3_000 });
    expect(second).toBeDefined();
    await second!.release();
  });

  it('is handed to a waiting holder as soon as the first releases it', async () => {
    const key = `{${uniquePrefix('lease')}}:lock`;
    const first = await holdLease(redis, key, { ttlMs: 10_000 });
    const name = `waiter-${randomBytes(5).toString('hex')}`;
    const waiter = new Redis(TEST_REDIS_URL, { connectionName: name });
    const waiting = holdLease(waiter, key, { ttlMs: 10_000, waitMs: 20_000 });
    await hasTried(name);
    await first!.release();
    const second = await waiting;
    expect(second).toBeDefined();
    expect(await redis.pttl(key)).toBeGreaterThan(0);
    await second!.release();
    expect(await redis.exists(key)).toBe(0);
    waiter.disconnect();
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
