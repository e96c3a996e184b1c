import axios from 'axios';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { REQUEST_DEADLINE_MS } from '../../src/api/app.js';
import { keptLogger } from '../helpers/kept-logger.js';
import { startApi, type ApiService } from '../../src/runtime/services.js';
import { mdeSourceYaml, TEST_HMAC_SECRET, TEST_TOKEN, testConfig } from '../helpers/config.js';
import { ThrowawayRedis } from '../helpers/throwaway-redis.js';
import { patience, waitFor } from '../helpers/wait.js';

/** Webhooks sent side by side, each in a loop: when Redis is killed, many are mid-request. */
const IN_FLIGHT = 50;

interface Outcome {
  status: number | 'no answer' | 'transport error';
  ms: number;
  startedAfterKill: boolean;
  retryAfter?: string | undefined;
  error?: unknown;
}

describe('Redis going away mid-request: every webhook gets 503 with Retry-After within the deadline, never 500', () => {
  let redis: ThrowawayRedis;
  let api: ApiService;
  const { logger, lines: logLines } = keptLogger();
  let sequence = 0;
  /** How long an answer may take: the API's deadline, plus slack that grows with how slow this machine is now. */
  let answerWithinMs = REQUEST_DEADLINE_MS;

  const webhook = (timeoutMs: number) => {
    sequence += 1;
    return axios.post(
      `${api.url}/v1/containments`,
      {
        incident_id: `INC-OUT-${sequence}`,
        blocked: [{ type: 'ip', value: '203.0.113.7' }],
        hosts: [{ hostname: `WS-${sequence}`, ip: '10.20.1.42' }],
      },
      { headers: { Authorization: `Bearer ${TEST_TOKEN}` }, validateStatus: () => true, timeout: timeoutMs },
    );
  };

  beforeAll(async () => {
    redis = await ThrowawayRedis.start();
    const config = testConfig({
      prefix: 'outage',
      yaml: `sources:\n${mdeSourceYaml('http://127.0.0.1:9')}`,
      env: { REDIS_URL: redis.url, LOG_LEVEL: 'info', WEBHOOK_RATE_LIMIT_PER_MINUTE: '100000' },
    });
    api = await startApi(config, logger);
    // Measure this machine now: a loaded CI runner gets a proportionally longer allowance.
    const started = Date.now();
    for (let i = 0; i < 5; i++) expect((await webhook(60_000)).status).toBe(202);
    const perRequestMs = (Date.now() - started) / 5;
    answerWithinMs = REQUEST_DEADLINE_MS + patience(2_000) + 20 * perRequestMs;
  });

  afterAll(async () => {
    await api?.close();
    await redis?.kill();
  });

  it('SIGKILL of Redis with ~50 webhooks in flight, then a restart on the same port', async () => {
    const consoleError = vi.spyOn(console, 'error');
    const outcomes: Outcome[] = [];
    let killedAt: number | undefined = undefined;
    let accepted = 0;

    const send = async (): Promise<Outcome> => {
      const startedAfterKill = killedAt !== undefined;
      const started = Date.now();
      try {
        const response = await webhook(answerWithinMs + 5_000);
        return { status: response.status, ms: Date.now() - started, startedAfterKill, retryAfter: response.headers['retry-after'], error: response.data?.code };
      } catch (error) {
        const timedOut = axios.isAxiosError(error) && error.code === 'ECONNABORTED';
        return { status: timedOut ? 'no answer' : 'transport error', ms: Date.now() - started, startedAfterKill, error: String(error) };
      }
    };
    // Each sender keeps posting until it has had two answers that began after the kill.
    const sender = async () => {
      let afterKill = 0;
      while (afterKill < 2) {
        const outcome = await send();
        outcomes.push(outcome);
        if (outcome.status === 202) accepted += 1;
        if (outcome.startedAfterKill) afterKill += 1;
      }
    };
    const senders = Array.from({ length: IN_FLIGHT }, sender);
    // Kill once the senders are well under way, so requests are mid-flight in every stage of the handler.
    await waitFor(async () => accepted >= 2 * IN_FLIGHT, { everyMs: 5, what: 'webhooks accepted before the kill' });
    await redis.kill();
    killedAt = Date.now();
    await Promise.all(senders);

    const failures = outcomes.filter((outcome) => outcome.status !== 202 && outcome.status !== 200);
    const inFlightAtKill = outcomes.filter((outcome) => !outcome.startedAfterKill && outcome.status !== 202);
    expect(outcomes.filter((outcome) => typeof outcome.status !== 'number')).toEqual([]);
    // A 500 is an error the API did not know for Redis going away: what it logged names it.
    const unhandled = logLines.filter((line) => line.includes('unhandled API error')).slice(0, 3);
    expect(outcomes.filter((outcome) => outcome.status === 500), `the API logged: ${unhandled.join('\n')}`).toEqual([]);
    expect(failures.filter((outcome) => outcome.status !== 503 || outcome.error !== 'redis.unavailable' || outcome.retryAfter !== '5')).toEqual([]);
    expect(outcomes.filter((outcome) => outcome.ms > answerWithinMs)).toEqual([]);
    expect(outcomes.filter((outcome) => outcome.startedAfterKill && outcome.status !== 503)).toEqual([]);
    // The kill did catch requests mid-flight, and they were answered too.
    expect(inFlightAtKill.length).toBeGreaterThan(0);

    // Redis back on the same port: webhooks are accepted again once the API has reconnected.
    await redis.start();
    const back = await waitFor(
      async () => {
        const response = await webhook(answerWithinMs);
        expect([202, 503]).toContain(response.status);
        return response.status === 202 ? response : undefined;
      },
      { what: 'a webhook accepted after Redis came back' },
    );
    expect(back.data.watch_id).toMatch(/^w-/);

    // Every connection that lost Redis has reconnected: whatever it had to say about the outage, it has said.
    const logged = () => logLines.map((line) => JSON.parse(line) as { msg: string; connection?: string });
    const lost = new Set(logged().filter((line) => line.msg === 'redis connection error').map((line) => line.connection));
    expect(lost.size).toBeGreaterThan(0);
    await waitFor(async () => [...lost].every((connection) => logged().some((line) => line.msg === 'redis connection ready again' && line.connection === connection)), {
      what: 'every connection to report Redis ready again',
    });
    // No multi-line dumps: ioredis and BullMQ print those with console.error when nobody listens.
    expect(consoleError).not.toHaveBeenCalled();
    consoleError.mockRestore();
    const parsed = logged();
    // Folded: a handful of lines per connection over the whole outage, not one per reconnection attempt or per request.
    expect(parsed.filter((line) => line.msg === 'redis connection error').length).toBeLessThanOrEqual(10);
    expect(parsed.filter((line) => line.msg === 'unhandled API error')).toEqual([]);
    for (const line of logLines) {
      expect(line).not.toContain(TEST_TOKEN);
      expect(line).not.toContain(TEST_HMAC_SECRET);
    }
  });

  it('a Redis that stops answering without closing its connections: the request deadline answers 503', async () => {
    redis.pause();
    try {
      const started = Date.now();
      const responses = await Promise.all(Array.from({ length: IN_FLIGHT }, () => webhook(answerWithinMs + 5_000)));
      const elapsed = Date.now() - started;
      expect(responses.map((response) => response.status)).toEqual(responses.map(() => 503));
      expect(responses.every((response) => response.headers['retry-after'] === '5' && response.data.code === 'redis.unavailable')).toBe(true);
      // Answered by the deadline, not by Redis (which answers nothing while stopped).
      expect(elapsed).toBeGreaterThanOrEqual(REQUEST_DEADLINE_MS - 50);
      expect(elapsed).toBeLessThanOrEqual(answerWithinMs);
    } finally {
      redis.resume();
    }
    // The handlers finish once Redis answers again; their late responses are dropped, and the API keeps serving.
    const back = await waitFor(async () => ((await webhook(answerWithinMs)).status === 202 ? true : undefined), {
      what: 'a webhook accepted after Redis resumed',
    });
    expect(back).toBe(true);
    expect(logLines.some((line) => line.includes('request deadline passed'))).toBe(true);
  });
});
