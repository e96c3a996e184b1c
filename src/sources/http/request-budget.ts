import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { redisKeys } from '../../lib/keys.js';
import { abortableDelay } from './abort.js';
import { LuaScript } from '../../lib/lua-script.js';

/** Permission to send one request to a vendor. Every attempt, retries included, takes one. */
export interface RequestBudget {
  /** Resolves when a request may be sent; rejects with the signal's reason if it aborts while waiting. */
  acquire(signal?: AbortSignal): Promise<void>;
  /** Called once the request a successful `acquire` allowed has ended (answered, failed or aborted). */
  settled?(): void;
}

/** No limit: for token endpoints and sources whose vendor publishes none. */
export const unlimitedBudget: RequestBudget = {
  acquire: (signal) => (signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve()),
};

/**
 * Sliding-window log in a sorted set, judged on Redis's clock so that workers with skewed clocks agree.
 * Returns 0 when the request was admitted, else the ms until the oldest request leaves the window.
 */
const ACQUIRE_SCRIPT = new LuaScript(`
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, window)
  return 0
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
`);

export interface RedisRequestBudgetOptions {
  redis: Redis;
  /** The deployment's key prefix (`redisKeys(prefix)`); the budget lives at `requestBudget(sourceId)`. */
  keyPrefix: string;
  sourceId: string;
  /** Requests admitted per window across every worker process. */
  requestsPerMinute: number;
  /** Window length. Default 60 s; the limit is still named per minute because vendors document it so. */
  windowMs?: number;
}

/** Extra wait so that workers woken by the same free slot do not all hit Redis in the same millisecond. */
const WAKE_JITTER_MS = 50;

/** A per-source request budget shared by every worker through Redis. */
export class RedisRequestBudget implements RequestBudget {
  readonly key: string;
  private readonly windowMs: number;
  private readonly owner = randomUUID();
  private sequence = 0;

  constructor(private readonly options: RedisRequestBudgetOptions) {
    if (!Number.isInteger(options.requestsPerMinute) || options.requestsPerMinute < 1) {
      throw new RangeError(`requestsPerMinute must be a positive integer, got ${options.requestsPerMinute}`);
    }
    this.key = redisKeys(options.keyPrefix).requestBudget(options.sourceId);
    this.windowMs = options.windowMs ?? 60_000;
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      this.sequence += 1;
      const member = `${this.owner}:${this.sequence}`;
      const result: unknown = await ACQUIRE_SCRIPT.run(this.options.redis, [this.key], [this.options.requestsPerMinute, this.windowMs, member]);
      if (typeof result !== 'number') throw new TypeError(`request budget script returned ${typeof result}`);
      if (result === 0) return;
      await abortableDelay(result + Math.floor(Math.random() * WAKE_JITTER_MS), signal);
    }
  }
}
