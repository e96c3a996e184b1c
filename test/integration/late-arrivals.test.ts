import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys } from '../../src/lib/keys.js';
import { LateArrivals } from '../../src/watch/late-arrivals.js';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

describe('late arrivals at the close', () => {
  const prefix = uniquePrefix('late');
  const seen = redisKeys(prefix).seenEvents('w-1');
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    redis.disconnect();
    await dropPrefix(prefix);
  });

  it('measure the delay of events recorded only now that happened before the previous read, within its look-back', async () => {
    // The previous read at 10,000 covered [5,000, 10,000); the seen set maps event id -> event time.
    await redis.zadd(seen, 6_000, 'on-time', 9_000, 'also-on-time');
    const late = await LateArrivals.before(redis, seen, { at: 10_000, from: 5_000 });
    expect(await late.lagAt(12_000)).toBeUndefined();

    await redis.zadd(seen, 7_500, 'late', 8_000, 'less-late', 11_000, 'after-the-previous-read', 1_000, 'a-newly-read-host');
    expect(await late.lagAt(12_000)).toBe(4_500);
  });
});
