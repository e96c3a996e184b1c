import type { NextFunction, Request, Response } from 'express';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../lib/keys.js';
import type { Caller } from './auth.js';
import { ApiError } from './errors.js';

/** An answer a SOAR retries, often with the headers it signed. */
const retried = (status: number) => status === 429 || status >= 500;

/**
 * Refuses a signature accepted before: a captured signed request cannot be sent again while its timestamp is inside
 * the window. The mark is taken before the handler runs, so two copies sent at once cannot both pass.
 *
 * A request answered 429 or 5xx is one a SOAR retries, often with the headers it signed: its mark is released. Such a
 * request changed nothing, or (past the deadline, when its handler may still finish) did what a retry does anyway:
 * opening is idempotent on action_id and merges into the incident's watch; an extend or a stop records the
 * request's signature (or Idempotency-Key) as its ref, and the same ref changes the watch once.
 */
export function replayGuard(redis: Redis, keys: RedisKeys, now: () => number = Date.now) {
  return async (_req: Request, res: Response, next: NextFunction) => {
    const signature = (res.locals.caller as Caller).signature;
    if (signature === undefined) return next();
    const key = keys.usedSignature(signature.value);
    const ttlMs = Math.max(1_000, signature.validUntilMs - now());
    const taken = await redis.set(key, '1', 'PX', ttlMs, 'NX');
    // Redis was slow and the deadline answered (503) while the mark was being taken: the request is over, so its
    // handler does not run, and the mark it just took is freed for the retry.
    if (res.headersSent) {
      if (taken !== null && retried(res.statusCode)) await redis.del(key).catch(() => undefined);
      return;
    }
    if (taken === null) throw new ApiError('request.replayed', 'this signature was already used: sign each request afresh (new timestamp)');
    res.once('finish', () => {
      if (retried(res.statusCode)) redis.del(key).catch(() => undefined);
    });
    next();
  };
}
