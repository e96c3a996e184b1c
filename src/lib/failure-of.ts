import { OperationalError, type Failure } from './failure.js';
import { LockTimeoutError } from './lock.js';
import { RedisUnavailableError, isRedisUnavailable } from './redis-errors.js';

/**
 * Any thrown value in the protocol: the product's own errors as they are, Redis outages of ioredis and BullMQ (and a
 * lock not taken in time, which on a healthy store only a stalled Redis causes) as `redis.unavailable`; undefined for
 * anything else, a defect rather than an operational failure.
 */
export function failureOf(error: unknown): Failure | undefined {
  if (error instanceof OperationalError) return error;
  if (isRedisUnavailable(error) || error instanceof LockTimeoutError) {
    return new RedisUnavailableError(`the store is unavailable: ${(error as Error).name}`, { cause: error });
  }
  return undefined;
}
