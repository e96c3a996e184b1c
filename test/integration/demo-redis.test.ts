import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { localRedis, RedisUnavailableError } from '../../src/dev/demo/local-redis.js';

const NOTHING_LISTENS = 'redis://127.0.0.1:1';

describe('the demo finds itself a Redis', () => {
  it('uses REDIS_URL as given', async () => {
    const redis = await localRedis('redis://127.0.0.1:6380', { standardUrl: NOTHING_LISTENS });
    expect(redis).toMatchObject({ url: 'redis://127.0.0.1:6380', owned: false });
  });

  it('without REDIS_URL and with nothing answering, starts a private redis-server from PATH and stops it after', async () => {
    const redis = await localRedis(undefined, { standardUrl: NOTHING_LISTENS });
    expect(redis.owned).toBe(true);
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    expect(await client.ping()).toBe('PONG');
    client.disconnect();
    await redis.close();
  });

  it('without any redis-server, stops with one line saying how to get one', async () => {
    const attempt = localRedis(undefined, { standardUrl: NOTHING_LISTENS, serverBinary: 'redis-server-that-is-not-installed' });
    await expect(attempt).rejects.toBeInstanceOf(RedisUnavailableError);
    await expect(attempt).rejects.toThrow(/^No Redis answers on 127\.0\.0\.1:6379 .*apt-get install redis-server.*docker compose up -d redis/);
  });
});
