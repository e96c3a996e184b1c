import type { AddressInfo } from 'node:net';
import axios from 'axios';
import express, { type NextFunction, type Request, type Response } from 'express';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '../../src/api/auth.js';
import { errorHandler, sendError, storeUnavailable } from '../../src/api/errors.js';
import { replayGuard } from '../../src/api/replay-guard.js';
import { redisKeys } from '../../src/lib/keys.js';
import { silentLogger } from '../../src/lib/logger.js';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The replay guard against a real Redis whose SET is held back until the response is out: what a slow Redis does
 * when the request deadline answers 503 while the guard still waits to take the signature's mark.
 */
describe('the replay guard when the deadline answers before it has taken the mark', () => {
  const prefix = uniquePrefix('replay-guard');
  const keys = redisKeys(prefix);
  let redis: Redis;
  let url: string;
  let close: () => Promise<void>;
  const handled: string[] = [];
  /** Requests answered 503 before the guard's SET is let through. */
  let slow = true;
  /** SETs of the guard that reached Redis. */
  let sets = 0;

  beforeAll(async () => {
    redis = new Redis(TEST_REDIS_URL);
    // Only the guard's SET waits: it reaches Redis once the 503 has been sent, as a command queued behind a stall would.
    const held = new Proxy(redis, {
      get(target, property, receiver) {
        if (property !== 'set') return Reflect.get(target, property, receiver);
        return async (...args: unknown[]) => {
          const res = heldResponse;
          if (slow && res) await new Promise((resolve) => (res.writableFinished ? resolve(undefined) : res.once('finish', resolve)));
          const reply = await (target.set as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          sets += 1;
          return reply;
        };
      },
    });
    let heldResponse: Response | undefined;
    const app = express();
    app.use((req: Request, res: Response, next: NextFunction) => {
      res.locals.caller = { kind: 'signed', signature: { value: String(req.get('x-test-signature')), validUntilMs: Date.now() + 300_000 } } as unknown as Caller;
      heldResponse = res;
      // The deadline, come early: answered before the guard's mark is taken.
      if (slow) setImmediate(() => sendError(res, storeUnavailable()));
      next();
    });
    app.use(replayGuard(held, keys));
    app.post('/v1/extend', (req, res) => {
      handled.push(String(req.get('x-test-signature')));
      res.status(200).json({ ok: true });
    });
    app.use(errorHandler(silentLogger()));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });

  afterAll(async () => {
    await close();
    await dropPrefix(prefix);
    redis.disconnect();
  });

  it('frees the mark it took after the 503 and does not run the handler; the retry with the same signature is served', async () => {
    const signature = 'v2=held-back';
    const post = () => axios.post(`${url}/v1/extend`, '{}', { headers: { 'x-test-signature': signature, 'content-type': 'application/json' }, validateStatus: () => true });

    expect((await post()).status).toBe(503);
    // The SET went through after the answer; the mark it took must not stay behind to refuse the retry.
    await waitFor(async () => sets === 1 && (await redis.exists(keys.usedSignature(signature))) === 0, { what: 'the mark the late SET took to be freed' });
    expect(handled).toEqual([]);

    slow = false;
    const retry = await post();
    expect(retry.status).toBe(200);
    expect(handled).toEqual([signature]);
    // And it is now spent, as any served request's signature.
    expect((await post()).status).toBe(401);
  });
});
