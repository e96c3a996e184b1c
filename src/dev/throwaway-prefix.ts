import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix of its own per test, so test files can share one Redis and run in parallel. */
export const uniquePrefix = (label = 't'): string => `${label}-${randomBytes(5).toString('hex')}`;

/** Deletes every key a test's prefix created: the product's `{prefix}` keys and BullMQ's `prefix-q`. */
export async function dropPrefix(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    for (const pattern of [`{${prefix}}:*`, `${prefix}-q:*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}
