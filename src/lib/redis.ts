import { Redis, type RedisOptions } from 'ioredis';

/**
 * Connections for workers and blocking BullMQ clients: they wait for Redis forever
 * (`maxRetriesPerRequest: null`, as BullMQ requires).
 */
export function createWorkerConnection(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
}

/**
 * Connections used from HTTP handlers: fail fast when Redis is down, so the webhook answers 503
 * instead of hanging until the SOAR times out.
 */
export function createApiConnection(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: false, connectTimeout: 5_000, ...options });
}

export type { Redis };
