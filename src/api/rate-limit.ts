import type { Redis } from 'ioredis';
import type { RedisKeys } from '../lib/keys.js';
import { ApiError } from './errors.js';

/**
 * A per-caller fixed window of one minute, shared by every API process through Redis. A SOAR stuck in a
 * loop gets 429 with Retry-After instead of opening hundreds of merges.
 */
export async function enforceRateLimit(redis: Redis, keys: RedisKeys, principal: string, perMinute: number): Promise<void> {
  const window = Math.floor(Date.now() / 60_000);
  const key = `${keys.webhookRate(principal)}:${window}`;
  const [[, count] = [null, 0]] = (await redis.multi().incr(key).expire(key, 120).exec()) ?? [];
  if (Number(count) > perMinute) {
    const retryAfter = 60 - Math.floor((Date.now() % 60_000) / 1000);
    throw new ApiError('request.rate_limited', `more than ${perMinute} requests per minute`, { retryAfterMs: retryAfter * 1_000 });
  }
}
