import { EventEmitter } from 'node:events';
import { ConnectionClosedError } from 'bullmq';
import { Redis, ReplyError } from 'ioredis';
import { MaxRetriesPerRequestError } from 'ioredis/built/errors/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { isRedisUnavailable, RedisUnavailableError } from '../../src/lib/redis-errors.js';
import { createRedisConnection, logConnectionErrors } from '../../src/lib/redis.js';
import { keptLogger } from '../helpers/kept-logger.js';
import { freePort } from '../helpers/throwaway-redis.js';

const clients: Redis[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

/** An API connection to a loopback port where nothing listens: every error it gives is a real ioredis one. */
async function unreachable(): Promise<{ redis: Redis; emitted: Error[] }> {
  const address = { host: '127.0.0.1', port: await freePort() };
  const redis = createRedisConnection({ topology: 'single', address, db: 0, auth: {} }, 'api', { retryStrategy: () => 10 });
  const emitted: Error[] = [];
  redis.on('error', (error: Error) => emitted.push(error));
  clients.push(redis);
  return { redis, emitted };
}

const rejectionOf = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (error: unknown) => error);

describe('isRedisUnavailable: by class and properties, in one place', () => {
  it('a command on a connection that cannot reach Redis: ioredis MaxRetriesPerRequestError', async () => {
    const { redis, emitted } = await unreachable();
    const error = await rejectionOf(redis.get('k'));
    expect(error).toBeInstanceOf(MaxRetriesPerRequestError);
    expect(isRedisUnavailable(error)).toBe(true);
    // The connection's own error event carries Node's socket error code.
    expect((emitted[0] as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect(isRedisUnavailable(emitted[0])).toBe(true);
  });

  it('a transaction and a pipeline on a connection that cannot reach Redis', async () => {
    const { redis } = await unreachable();
    expect(isRedisUnavailable(await rejectionOf(redis.multi().incr('a').expire('a', 10).exec()))).toBe(true);
    const [[pipelined] = []] = (await redis.pipeline().get('a').get('b').exec()) ?? [];
    expect(isRedisUnavailable(pipelined)).toBe(true);
  });

  it('a command on a connection that has ended ("Connection is closed.", a plain Error of ioredis)', async () => {
    const { redis } = await unreachable();
    redis.disconnect();
    const error = await rejectionOf(redis.get('k'));
    expect(error).toBeInstanceOf(Error);
    expect(isRedisUnavailable(error)).toBe(true);
  });

  it('BullMQ ConnectionClosedError, the product own RedisUnavailableError and an error caused by one', () => {
    expect(isRedisUnavailable(new ConnectionClosedError())).toBe(true);
    expect(isRedisUnavailable(new RedisUnavailableError('not ready'))).toBe(true);
    expect(isRedisUnavailable(new Error('job could not be added', { cause: new MaxRetriesPerRequestError(1) }))).toBe(true);
  });

  it.each(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED', 'EHOSTUNREACH'])('a socket error with code %s', (code) => {
    expect(isRedisUnavailable(Object.assign(new Error('socket trouble'), { code }))).toBe(true);
  });

  it('server replies that mean "not now" are unavailable; other replies are not', () => {
    expect(isRedisUnavailable(new ReplyError('LOADING Redis is loading the dataset in memory'))).toBe(true);
    expect(isRedisUnavailable(new ReplyError("READONLY You can't write against a read only replica."))).toBe(true);
    expect(isRedisUnavailable(new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(false);
    expect(isRedisUnavailable(new ReplyError('ERR Error running script: user_script:1: oops'))).toBe(false);
    const execAbort = Object.assign(new ReplyError('EXECABORT Transaction discarded because of previous errors.'), {
      previousErrors: [new ReplyError('LOADING Redis is loading the dataset in memory')],
    });
    expect(isRedisUnavailable(execAbort)).toBe(true);
  });

  it('is not fooled by message text: a bug that mentions a connection is still a bug', () => {
    expect(isRedisUnavailable(new Error('Reached the max retries per request limit (which is 1).'))).toBe(false);
    expect(isRedisUnavailable(new TypeError('Connection is closed.'))).toBe(false);
    expect(isRedisUnavailable(new Error('connect ECONNREFUSED 127.0.0.1:6379'))).toBe(false);
    expect(isRedisUnavailable(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(false);
    expect(isRedisUnavailable('ECONNREFUSED')).toBe(false);
    expect(isRedisUnavailable(undefined)).toBe(false);
  });
});

describe('logConnectionErrors', () => {
  it('one structured line per error, repeats folded with a count, one line when ready again; no error object', () => {
    const { logger, lines } = keptLogger();
    const redis = new EventEmitter();
    let now = 0;
    logConnectionErrors(redis, logger, 'api', { intervalMs: 1_000, now: () => now });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    for (let i = 0; i < 10; i++) redis.emit('error', refused);
    now = 1_500;
    redis.emit('error', refused);
    redis.emit('ready');
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed.map((line) => [line.msg, line.code, line.repeated])).toEqual([
      ['redis connection error', 'ECONNREFUSED', undefined],
      ['redis connection error', 'ECONNREFUSED', 9],
      ['redis connection ready again', undefined, undefined],
    ]);
    expect(parsed.every((line) => line.err === undefined && line.stack === undefined)).toBe(true);
  });
});
