import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Failure } from '../../src/lib/failure.js';
import { redisKeys } from '../../src/lib/keys.js';
import { SourceFaults } from '../../src/stores/source-faults.js';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

describe('a source fault', () => {
  const prefix = uniquePrefix('source-faults');
  let redis: Redis;
  let faults: SourceFaults;
  const refused: Failure = { code: 'source.credentials_rejected', kind: 'terminal', message: 'credential revoked' };
  const MINUTE = 60_000;

  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL);
    faults = new SourceFaults(redis, redisKeys(prefix));
  });

  afterAll(async () => {
    await dropPrefix(prefix);
    redis.disconnect();
  });

  it('is not cleared by a read that started before it was seen (a shard beside the one refused), only by a later one', async () => {
    const tick = Date.parse('2026-12-07T10:00:00.000Z');
    await faults.record('edr', refused, tick, 5 * MINUTE);

    // Two shards of the same tick: one refused, one that worked with the token it already held.
    expect(await faults.clear('edr', tick)).toBe(false);
    expect(await faults.clear('edr', tick - 1)).toBe(false);
    expect((await faults.get('edr'))?.code).toBe('source.credentials_rejected');

    // A probe after the pause, which worked.
    expect(await faults.clear('edr', tick + 5 * MINUTE)).toBe(true);
    expect(await faults.get('edr')).toBeUndefined();
    expect(await faults.clear('edr', tick + 6 * MINUTE)).toBe(false);
  });

  it('recorded again by a later refusal keeps its first-seen time and is then as new as that refusal', async () => {
    const first = Date.parse('2026-12-07T11:00:00.000Z');
    await faults.record('fw', refused, first, MINUTE);
    const again = await faults.record('fw', refused, first + 2 * MINUTE, MINUTE);
    expect(again.since).toBe(new Date(first).toISOString());
    expect(await faults.clear('fw', first + MINUTE)).toBe(false);
    expect(await faults.clear('fw', first + 3 * MINUTE)).toBe(true);
  });
});
