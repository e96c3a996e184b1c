import type { AddressInfo } from 'node:net';
import { Queue, RateLimitError, UnrecoverableError } from 'bullmq';
import express from 'express';
import { Redis } from 'ioredis';
import { MaxRetriesPerRequestError } from 'ioredis/built/errors/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, errorHandler, HTTP_ANSWER } from '../../src/api/errors.js';
import { FAILURE_SUMMARY, FailureCodeSchema } from '../../src/lib/failure.js';
import { failureOf } from '../../src/lib/failure-of.js';
import { silentLogger } from '../../src/lib/logger.js';
import { RedisUnavailableError } from '../../src/lib/redis-errors.js';
import { jobError } from '../../src/jobs/job-failure.js';
import { pollBackoff } from '../../src/queue/poll-retries.js';
import { statusMessage } from '../../src/slack/render/blocks.js';
import { SlackDeliveryError } from '../../src/slack/delivery/errors.js';
import { classifyRequestError, classifyStatus, invalidJsonBody } from '../../src/sources/http/classify.js';
import { parsePanResponse } from '../../src/sources/panos/xml-response.js';
import { SourceError } from '../../src/sources/source-error.js';
import { WatchClosedError, WatchNotFoundError, WatchRequestError } from '../../src/watch/watch-service.js';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { watchViewFixture } from '../helpers/watch-view.js';

const answer = (status: number, data: unknown = {}, headers: Record<string, string> = {}) => classifyStatus('mde-prod', { status, headers, data });

describe('source failures: code and retry class from the answer', () => {
  it.each([
    [401, {}, 'source.credentials_rejected', 'terminal'],
    [403, {}, 'source.forbidden', 'terminal'],
    [400, {}, 'source.query_rejected', 'terminal'],
    [404, {}, 'source.query_rejected', 'terminal'],
    [422, {}, 'source.query_rejected', 'terminal'],
    [400, { error: 'invalid_client', error_description: 'AADSTS7000215' }, 'source.credentials_rejected', 'terminal'],
    [400, '{"error":"invalid_grant"}', 'source.credentials_rejected', 'terminal'],
    [429, {}, 'source.rate_limited', 'rate_limited'],
    [408, {}, 'source.unavailable', 'retryable'],
    [500, {}, 'source.unavailable', 'retryable'],
    [503, {}, 'source.unavailable', 'retryable'],
    [418, {}, 'source.bad_response', 'terminal'],
  ] as const)('HTTP %i %j -> %s (%s)', (status, data, code, kind) => {
    expect(answer(status, data)).toMatchObject({ code, kind, source: 'mde-prod', status });
  });

  it('a 429 carries the vendor delay', () => {
    expect(answer(429, {}, { 'Retry-After': '20' })).toMatchObject({ code: 'source.rate_limited', retryAfterMs: 20_000 });
  });

  it('transport failures: a host that does not resolve is misconfigured, a reset or a cut body is an outage', () => {
    const axiosError = (code: string) => Object.assign(new Error(`${code} from the socket`), { isAxiosError: true, code });
    expect(classifyRequestError('mde-prod', axiosError('ENOTFOUND'))).toMatchObject({ code: 'source.misconfigured', kind: 'terminal' });
    expect(classifyRequestError('mde-prod', axiosError('ECONNRESET'))).toMatchObject({ code: 'source.unavailable', kind: 'retryable' });
    expect(invalidJsonBody('mde-prod', 200)).toMatchObject({ code: 'source.unavailable', kind: 'retryable' });
  });

  it('PAN-OS says it in its XML envelope: unauth or code 403 is a refused key, code 16 a missing right', () => {
    const refusal = (status: string, code: string) => {
      try {
        parsePanResponse('pan-edge', `<response status="${status}" code="${code}"><msg><line>refused</line></msg></response>`);
      } catch (error) {
        return error;
      }
      return undefined;
    };
    expect(refusal('unauth', '22')).toMatchObject({ code: 'source.credentials_rejected', kind: 'terminal' });
    expect(refusal('error', '403')).toMatchObject({ code: 'source.credentials_rejected', kind: 'terminal' });
    expect(refusal('error', '16')).toMatchObject({ code: 'source.forbidden', kind: 'terminal' });
    expect(refusal('error', '22')).toMatchObject({ code: 'source.unavailable', kind: 'retryable' });
  });

  it("a connector's own terminal error without a status is an unexpected answer unless it names its code", () => {
    expect(new SourceError('terminal', 'mde-prod', 'paging did not advance')).toMatchObject({ code: 'source.bad_response' });
    expect(new SourceError('terminal', 'mde-prod', 'no such host', { code: 'source.misconfigured' })).toMatchObject({ code: 'source.misconfigured' });
  });
});

describe('the other operational errors speak the same protocol', () => {
  it.each([
    ['channel_not_found', false, 'slack.channel_not_found', 'terminal'],
    ['not_in_channel', false, 'slack.not_in_channel', 'terminal'],
    ['no_channel', false, 'slack.no_channel', 'terminal'],
    ['invalid_auth', false, 'slack.credentials_rejected', 'terminal'],
    ['invalid_blocks', false, 'slack.rejected', 'terminal'],
    ['rate_limited', true, 'slack.rate_limited', 'rate_limited'],
    ['http_503', true, 'slack.unavailable', 'retryable'],
    ['request_failed', true, 'slack.unavailable', 'retryable'],
  ] as const)('Slack %s (retryable %s) -> %s (%s)', (slackError, retryable, code, kind) => {
    const error = new SlackDeliveryError('failed', { method: 'chat.postMessage', code: slackError, retryable, watchId: 'w-1' });
    expect(error).toMatchObject({ code, kind, slackError, retryable });
  });

  it('watch-service errors and Redis outages', () => {
    expect(new WatchNotFoundError('w-1')).toMatchObject({ code: 'watch.not_found', kind: 'terminal' });
    expect(new WatchClosedError('w-1')).toMatchObject({ code: 'watch.closed', kind: 'terminal' });
    expect(new WatchRequestError('sources', 'unknown source')).toMatchObject({ code: 'watch.request_rejected', kind: 'terminal' });
    expect(failureOf(new MaxRetriesPerRequestError(1))).toMatchObject({ code: 'redis.unavailable', kind: 'retryable' });
    expect(failureOf(new RedisUnavailableError('not connected'))).toMatchObject({ code: 'redis.unavailable', kind: 'retryable' });
    expect(failureOf(new TypeError('a defect'))).toBeUndefined();
  });

  it('every code has a summary for people and an HTTP status', () => {
    for (const code of FailureCodeSchema.options) {
      expect(FAILURE_SUMMARY[code]).toMatch(/\S/);
      expect(HTTP_ANSWER[code].status).toBeGreaterThanOrEqual(400);
    }
  });
});

describe('the mapping onto BullMQ', () => {
  let redis: Redis;
  const prefix = uniquePrefix('job-failure');

  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    await dropPrefix(prefix);
    await redis.quit();
  });

  it('terminal: unrecoverable, named by its code', async () => {
    const mapped = await jobError(new SourceError('terminal', 'mde-prod', 'HTTP 401', { status: 401 }));
    expect(mapped).toBeInstanceOf(UnrecoverableError);
    expect((mapped as Error).message).toBe('source.credentials_rejected: mde-prod: HTTP 401');
    expect(await jobError(new WatchNotFoundError('w-1'))).toBeInstanceOf(UnrecoverableError);
  });

  it("retryable, and anything outside the protocol: thrown as is for the job's attempts and backoff", async () => {
    const outage = new SourceError('retryable', 'mde-prod', 'HTTP 503', { status: 503 });
    const defect = new TypeError('a defect');
    const redisDown = new MaxRetriesPerRequestError(1);
    expect(await jobError(outage)).toBe(outage);
    expect(await jobError(defect)).toBe(defect);
    expect(await jobError(redisDown)).toBe(redisDown);
  });

  it("rate limited: the source's own queue waits the vendor's delay; without one it is retried like an outage", async () => {
    const queue = new Queue('{poll-mde-prod}', { connection: redis, prefix });
    try {
      const throttled = new SourceError('rate_limited', 'mde-prod', 'HTTP 429', { status: 429, retryAfterMs: 20_000 });
      expect(await jobError(throttled)).toBe(throttled);
      expect(await queue.getRateLimitTtl(Number.MAX_SAFE_INTEGER)).toBe(0);

      expect(await jobError(throttled, { rateLimited: queue })).toBeInstanceOf(RateLimitError);
      const ttl = await queue.getRateLimitTtl(Number.MAX_SAFE_INTEGER);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(20_000);
    } finally {
      await queue.close();
    }
  });

  it('poll retries: 1 s then 2 s, never past a quarter of the poll interval', () => {
    const job = (everyMs?: number) => ({ data: { source_id: 'mde-prod', ...(everyMs ? { every_ms: everyMs } : {}) } }) as never;
    expect([1, 2].map((attempt) => pollBackoff(attempt, 'poll', undefined, job(60_000)))).toEqual([1_000, 2_000]);
    expect([1, 2].map((attempt) => pollBackoff(attempt, 'poll', undefined, job(4_000)))).toEqual([1_000, 1_000]);
    expect(pollBackoff(2, 'poll', undefined, job())).toBe(2_000);
  });
});

describe('the mapping onto HTTP', () => {
  let server: ReturnType<ReturnType<typeof express>['listen']>;
  let url: string;
  const throwing: Record<string, () => unknown> = {
    'not-found': () => new WatchNotFoundError('w-1'),
    closed: () => new WatchClosedError('w-1'),
    'redis-down': () => new MaxRetriesPerRequestError(1),
    throttled: () => new ApiError('request.rate_limited', 'more than 60 requests per minute', { retryAfterMs: 12_500 }),
    defect: () => new TypeError('secret detail'),
  };

  beforeAll(async () => {
    const app = express();
    app.get('/:case', (req, _res, next) => next(throwing[req.params.case]?.()));
    app.use(errorHandler(silentLogger()));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it.each([
    ['not-found', 404, { error: 'not_found', code: 'watch.not_found', retry: 'terminal', message: 'no watch w-1' }, null],
    ['closed', 409, { error: 'conflict', code: 'watch.closed', retry: 'terminal' }, null],
    ['redis-down', 503, { error: 'unavailable', code: 'redis.unavailable', retry: 'retryable' }, '5'],
    ['throttled', 429, { error: 'rate_limited', code: 'request.rate_limited', retry: 'rate_limited' }, '13'],
    ['defect', 500, { error: 'internal', code: 'internal', retry: 'retryable', message: 'internal error' }, null],
  ] as const)('%s -> %i %j, Retry-After %s', async (name, status, error, retryAfter) => {
    const response = await fetch(`${url}/${name}`);
    expect(response.status).toBe(status);
    expect(response.headers.get('retry-after')).toBe(retryAfter);
    expect(await response.json()).toEqual(expect.objectContaining(error));
  });
});

describe('a paused source on the status message', () => {
  const NOW = Date.parse('2026-11-27T10:48:00Z');
  const health = {
    source: 'mde-prod',
    consecutive_failures: 3,
    polled_hosts: [],
    events_seen: 0,
    hosts_seen: [],
    gaps: [{ from: '2026-11-27T10:12:00.000Z', to: '2026-11-27T10:47:00.000Z', reason: 'terminal: mde-prod: HTTP 401' }],
  };
  const text = (paused?: { code: 'source.credentials_rejected'; since: string; next_probe_at: string }) =>
    JSON.stringify(statusMessage(watchViewFixture({ coverage: [{ ...health, ...(paused && { paused }), hosts_unseen: [] }] }), { now: NOW }).blocks);

  it('names the source, what failed and since when, and when it is tried again', () => {
    const shown = text({ code: 'source.credentials_rejected', since: '2026-11-27T10:12:30.000Z', next_probe_at: '2026-11-27T10:52:00.000Z' });
    expect(shown).toContain('⛔ `mde-prod`: credentials rejected since 10:12 UTC · polling paused, next try in 4m');
    expect(text()).not.toContain('polling paused');
  });

  it('a pause older than a day gives its date', () => {
    const shown = text({ code: 'source.credentials_rejected', since: '2026-11-25T09:12:00.000Z', next_probe_at: '2026-11-27T10:40:00.000Z' });
    expect(shown).toContain('credentials rejected since 2026-11-25 09:12:00 UTC · polling paused, next try at the next poll');
  });
});
