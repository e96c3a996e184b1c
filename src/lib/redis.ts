import type { EventEmitter } from 'node:events';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.js';

/**
 * Connections for workers and blocking BullMQ clients: they wait for Redis forever
 * (`maxRetriesPerRequest: null`, as BullMQ requires).
 */
export function createWorkerConnection(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
}

/**
 * Connections used from HTTP handlers, including the API's BullMQ `Queue` (it only adds jobs, never blocks): a
 * command waits for at most one reconnection attempt, then fails with ioredis' `MaxRetriesPerRequestError`, so
 * the webhook answers 503 instead of hanging until the SOAR times out. Commands issued while reconnecting wait in
 * the offline queue for that attempt (a restart of a few hundred ms is ridden out); the API refuses new requests
 * up front while a connection is not ready (see `createApp`), and its request deadline bounds everything else.
 */
export function createApiConnection(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: true, connectTimeout: 2_000, ...options });
}

/** How long identical connection errors are folded into one log line. */
const ERROR_LOG_INTERVAL_MS = 30_000;

/**
 * Logs a connection's errors as one structured line each (name, code and message, never the error object: a
 * reply error can carry the command's arguments, AUTH's password among them). Repeats of the same error (same
 * code, or same message when it has none) fold into one line per `intervalMs` with a count; one line says when
 * the connection is ready again. Attaching it also stops ioredis' multi-line "Unhandled error event" dumps.
 */
export function logConnectionErrors(
  emitter: Pick<EventEmitter, 'on'>,
  logger: Logger,
  connection: string,
  { intervalMs = ERROR_LOG_INTERVAL_MS, now = Date.now }: { intervalMs?: number; now?: () => number } = {},
): void {
  let last: { key: string; at: number; suppressed: number } | undefined;
  let failing = false;
  emitter.on('error', (error: Error) => {
    failing = true;
    const code = (error as NodeJS.ErrnoException).code;
    const key = code === undefined ? `${error.name}|${error.message}` : `${error.name}|${code}`;
    const at = now();
    if (last?.key === key && at - last.at < intervalMs) {
      last.suppressed += 1;
      return;
    }
    const repeated = last?.key === key ? last.suppressed : 0;
    last = { key, at, suppressed: 0 };
    logger.warn({ connection, error: error.name, code, message: error.message, ...(repeated ? { repeated } : {}) }, 'redis connection error');
  });
  emitter.on('ready', () => {
    if (!failing) return;
    failing = false;
    last = undefined;
    logger.info({ connection }, 'redis connection ready again');
  });
}

export type { Redis };
