import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { WatchedHost } from '../../src/contracts/watch.js';
import { holdLeases } from '../../src/lib/lock.js';
import { pollIntervalWithin } from '../../src/rules/poll-pace.js';
import { shardsOf } from '../../src/watch/source-poller.js';
import { TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const host = (name: string): WatchedHost => ({ hostname: name, baseline: 'ready' });
const plan = (id: string, from: number, ...hosts: string[]) => ({ watch: { id }, from, hosts: hosts.map(host) });

describe('shards of a poll', () => {
  it('pack whole watches up to the query size, counting a host two watches share once', () => {
    const shards = shardsOf([plan('a', 0, 'h1', 'h2'), plan('b', 0, 'h2', 'h3'), plan('c', 0, 'h4', 'h5')], 3);
    expect(shards).toEqual([
      { watchIds: ['a', 'b'], hosts: 3 },
      { watchIds: ['c'], hosts: 2 },
    ]);
  });

  it('keep watches whose reads start at the same time together, and give a watch larger than a query a shard of its own', () => {
    const shards = shardsOf([plan('fresh-1', 100, 'f1'), plan('old', 0, 'o1'), plan('big', 100, 'b1', 'b2', 'b3'), plan('fresh-2', 100, 'f2')], 2);
    expect(shards.map((shard) => shard.watchIds)).toEqual([['old', 'fresh-1'], ['big'], ['fresh-2']]);
  });
});

describe('the pace of a source\'s polls', () => {
  it('is the asked interval while 80 % of the budget covers it, else the shortest whole second that fits', () => {
    expect(pollIntervalWithin(10_000, 6, 45)).toBe(10_000);
    expect(pollIntervalWithin(10_000, 7, 45)).toBe(12_000);
    expect(pollIntervalWithin(10_000, 50, 45)).toBe(84_000);
    expect(pollIntervalWithin(60_000, 50, 45)).toBe(84_000);
    expect(pollIntervalWithin(10_000, 50, undefined)).toBe(10_000);
  });
});

describe('leases on several keys', () => {
  const redis = new Redis(TEST_REDIS_URL);
  const prefix = uniquePrefix('leases');
  afterAll(async () => {
    await redis.quit();
  });

  it('take what is free at once, or with `all` everything or nothing, and free the keys on release', async () => {
    const keys = ['a', 'b', 'c'].map((name) => `${prefix}:${name}`);
    const first = await holdLeases(redis, keys.slice(0, 2), { ttlMs: 5_000 });
    expect(first?.held).toEqual(keys.slice(0, 2));
    const second = await holdLeases(redis, keys, { ttlMs: 5_000 });
    expect(second?.held).toEqual([keys[2]]);
    await second!.release();
    expect(await holdLeases(redis, keys, { ttlMs: 5_000, all: true })).toBeUndefined();
    expect(await redis.exists(keys[2]!)).toBe(0);

    const waiting = holdLeases(redis, keys, { ttlMs: 5_000, all: true, waitMs: 30_000 });
    await first!.release();
    const all = await waiting;
    expect(all?.held).toEqual(keys);
    await all!.release();
    expect(await redis.exists(...keys)).toBe(0);
  });
});
