import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import axios, { type AxiosResponse } from 'axios';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys } from '../../src/lib/keys.js';
import { silentLogger } from '../../src/lib/logger.js';
import { startApi, type ApiService } from '../../src/runtime/services.js';
import { WatchStore } from '../../src/stores/watch-store.js';
import { mdeSourceYaml, TEST_HMAC_SECRET, TEST_TOKEN, testConfig } from '../helpers/config.js';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The signing scheme written out from the README, independently of the product's signer: what a SOAR developer
 * implements from the documentation must be what the server accepts.
 */
function sign(secret: string, timestamp: number, method: string, pathAndQuery: string, body: string): Record<string, string> {
  const mac = createHmac('sha256', secret).update(`v2:${timestamp}:${method}:${pathAndQuery}:${body}`).digest('hex');
  return { 'X-CW-Timestamp': String(timestamp), 'X-CW-Signature': `v2=${mac}` };
}

function signV1(secret: string, timestamp: number, body: string): Record<string, string> {
  return { 'X-CW-Timestamp': String(timestamp), 'X-CW-Signature': `v1=${createHmac('sha256', secret).update(`v1:${timestamp}:${body}`).digest('hex')}` };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

const containment = (incident: string) =>
  JSON.stringify({
    incident_id: incident,
    blocked: [{ type: 'ip', value: '203.0.113.7' }],
    hosts: [{ hostname: 'FIN-WS-042', ip: '10.20.1.42' }],
    watch: { duration: '1h', poll_interval: '1m', baseline: '7d' },
  });

const call = (api: ApiService, method: string, pathAndQuery: string, body: string, headers: Record<string, string>): Promise<AxiosResponse> =>
  axios.request({
    method,
    url: `${api.url}${pathAndQuery}`,
    data: body,
    headers: { 'Content-Type': 'application/json', ...headers },
    transformRequest: [(data) => data],
    validateStatus: () => true,
  });

/** Every watch, read with the bearer token (not with a signature, which would itself be spent). */
async function allWatches(api: ApiService): Promise<{ id: string; incident_id: string; state: string }[]> {
  const response = await axios.get(`${api.url}/v1/watches?state=all`, { headers: { Authorization: `Bearer ${TEST_TOKEN}` } });
  return response.data.watches;
}

describe('signed requests are bound to their method, path, query and body, and accepted once', () => {
  const prefix = uniquePrefix('signing');
  const v1Prefix = uniquePrefix('signing-v1');
  let api: ApiService;
  let v1Api: ApiService;
  let redis: Redis;

  beforeAll(async () => {
    const yaml = `sources:\n${mdeSourceYaml('http://127.0.0.1:9')}`;
    api = await startApi(testConfig({ prefix, yaml, env: { WEBHOOK_RATE_LIMIT_PER_MINUTE: '1000' } }), silentLogger());
    v1Api = await startApi(testConfig({ prefix: v1Prefix, yaml, env: { WEBHOOK_ACCEPT_V1_SIGNATURES: 'true' } }), silentLogger());
    redis = new Redis(TEST_REDIS_URL);
  });

  afterAll(async () => {
    await api.close();
    await v1Api.close();
    redis.disconnect();
    await dropPrefix(prefix);
    await dropPrefix(v1Prefix);
  });

  it('a signed webhook re-sent byte for byte is refused, even after its watch closed, and opens nothing', async () => {
    const body = containment('INC-REPLAY');
    const headers = sign(TEST_HMAC_SECRET, nowSeconds(), 'POST', '/v1/containments', body);
    const first = await call(api, 'POST', '/v1/containments', body, headers);
    expect(first.status).toBe(202);
    const again = await call(api, 'POST', '/v1/containments', body, headers);
    expect(again.status).toBe(401);
    expect(again.data).toMatchObject({ error: 'unauthorized', code: 'request.replayed' });

    // Closed as the close job closes it: the incident has no active watch, so a replay accepted would open a new one.
    const store = new WatchStore(redis, redisKeys(prefix));
    await store.update(first.data.watch_id as string, (watch) => ({ ...watch, state: 'closed', verdict: 'held', closed_at: new Date().toISOString() }));
    expect(await store.activeWatchOfIncident('INC-REPLAY')).toBeUndefined();
    const afterClose = await call(api, 'POST', '/v1/containments', body, headers);
    expect(afterClose.status).toBe(401);
    expect((await allWatches(api)).filter((watch) => watch.incident_id === 'INC-REPLAY')).toHaveLength(1);
  });

  it('two copies of one signed request sent at once: exactly one is accepted', async () => {
    const body = containment('INC-RACE');
    const headers = sign(TEST_HMAC_SECRET, nowSeconds(), 'POST', '/v1/containments', body);
    const answers = await Promise.all(Array.from({ length: 8 }, () => call(api, 'POST', '/v1/containments', body, headers)));
    expect(answers.map((answer) => answer.status).sort()).toEqual([202, 401, 401, 401, 401, 401, 401, 401]);
  });

  it("a signed webhook's headers and body sent as GET /v1/watches?state=all list nothing", async () => {
    const body = containment('INC-CROSS-PATH');
    const headers = sign(TEST_HMAC_SECRET, nowSeconds(), 'POST', '/v1/containments', body);
    const listed = await call(api, 'GET', '/v1/watches?state=all', body, headers);
    expect(listed.status).toBe(401);
    expect(listed.data).toMatchObject({ code: 'request.unauthorized', message: 'invalid signature' });
    expect(listed.data.watches).toBeUndefined();
  });

  it("a signed empty-body request's headers sent to POST /v1/watches/{id}/stop do not stop the watch", async () => {
    const opened = await call(api, 'POST', '/v1/containments', containment('INC-CROSS-STOP'), { Authorization: `Bearer ${TEST_TOKEN}` });
    expect(opened.status).toBe(202);
    const watchId = opened.data.watch_id as string;
    const readHeaders = sign(TEST_HMAC_SECRET, nowSeconds(), 'GET', `/v1/watches/${watchId}`, '');
    const read = await call(api, 'GET', `/v1/watches/${watchId}`, '', readHeaders);
    expect(read.status).toBe(200);

    const stop = await call(api, 'POST', `/v1/watches/${watchId}/stop`, '', readHeaders);
    expect(stop.status).toBe(401);
    const after = await axios.get(`${api.url}/v1/watches/${watchId}`, { headers: { Authorization: `Bearer ${TEST_TOKEN}` } });
    expect(after.data.stop_reason).toBeUndefined();
    expect(after.data.audit.map((entry: { action: string }) => entry.action)).not.toContain('stop');
  });

  it.each([
    ['cross-method: a POST signature sent as PUT', 'POST', '/v1/containments', 'PUT', '/v1/containments', 0],
    ['cross-path: a stop signature sent to extend', 'POST', '/v1/watches/w-x/stop', 'POST', '/v1/watches/w-x/extend', 0],
    ['cross-query: a signature of state=active sent with state=all', 'GET', '/v1/watches?state=active', 'GET', '/v1/watches?state=all', 0],
    ['a query added to a signed path', 'GET', '/v1/watches', 'GET', '/v1/watches?state=all', 0],
    ['stale: signed 301 s ago', 'POST', '/v1/containments', 'POST', '/v1/containments', -301],
    ['future-dated: signed 301 s ahead', 'POST', '/v1/containments', 'POST', '/v1/containments', 301],
  ])('%s → 401', async (_story, signedMethod, signedPath, sentMethod, sentPath, skewSeconds) => {
    const body = sentMethod === 'GET' ? '' : containment(`INC-${signedMethod}-${skewSeconds}`);
    const headers = sign(TEST_HMAC_SECRET, nowSeconds() + skewSeconds, signedMethod, signedPath, body);
    const answer = await call(api, sentMethod, sentPath, body, headers);
    expect(answer.status).toBe(401);
    expect(answer.data.code).toBe('request.unauthorized');
  });

  it('cross-body: a signature over one body sent with another → 401, no watch', async () => {
    const signedBody = containment('INC-BODY-A');
    const headers = sign(TEST_HMAC_SECRET, nowSeconds(), 'POST', '/v1/containments', signedBody);
    const answer = await call(api, 'POST', '/v1/containments', containment('INC-BODY-B'), headers);
    expect(answer.status).toBe(401);
    expect((await allWatches(api)).map((watch) => watch.incident_id)).not.toContain('INC-BODY-B');
  });

  it('the window is 300 s either side: signed 290 s ago or 290 s ahead is accepted', async () => {
    for (const skew of [-290, 290]) {
      const body = containment(`INC-SKEW${skew}`);
      const answer = await call(api, 'POST', '/v1/containments', body, sign(TEST_HMAC_SECRET, nowSeconds() + skew, 'POST', '/v1/containments', body));
      expect(answer.status).toBe(202);
    }
  });

  it("a spent signature's mark expires with its window", async () => {
    const body = containment('INC-MARK');
    const timestamp = nowSeconds() - 200;
    const headers = sign(TEST_HMAC_SECRET, timestamp, 'POST', '/v1/containments', body);
    expect((await call(api, 'POST', '/v1/containments', body, headers)).status).toBe(202);
    const key = redisKeys(prefix).usedSignature(headers['X-CW-Signature'] as string);
    const ttlMs = await redis.pttl(key);
    expect(ttlMs).toBeGreaterThan(0);
    expect(ttlMs).toBeLessThanOrEqual((timestamp + 301) * 1000 - Date.now() + 1_000);
  });

  it('a signed request answered 429 can be retried with the same signature (it changed nothing)', async () => {
    const limitedPrefix = uniquePrefix('signing-429');
    const limited = await startApi(
      testConfig({ prefix: limitedPrefix, yaml: `sources:\n${mdeSourceYaml('http://127.0.0.1:9')}`, env: { WEBHOOK_RATE_LIMIT_PER_MINUTE: '1' } }),
      silentLogger(),
    );
    try {
      const answers: number[] = [];
      for (const incident of ['INC-LIMIT-1', 'INC-LIMIT-2']) {
        const body = containment(incident);
        answers.push((await call(limited, 'POST', '/v1/containments', body, sign(TEST_HMAC_SECRET, nowSeconds(), 'POST', '/v1/containments', body))).status);
      }
      // Both in one minute: the second is rate limited, unless the minute turned between them.
      const body = containment('INC-LIMIT-3');
      const headers = sign(TEST_HMAC_SECRET, nowSeconds(), 'POST', '/v1/containments', body);
      const first = await call(limited, 'POST', '/v1/containments', body, headers);
      expect([202, 429]).toContain(first.status);
      const key = redisKeys(limitedPrefix).usedSignature(headers['X-CW-Signature'] as string);
      if (first.status === 429) await waitFor(async () => (await redis.exists(key)) === 0, { what: 'the mark of the refused request to be released' });
      const retry = await call(limited, 'POST', '/v1/containments', body, headers);
      expect(retry.status).not.toBe(401);
      expect(answers[0]).toBe(202);
    } finally {
      await limited.close();
      await dropPrefix(limitedPrefix);
    }
  });

  describe('a change to a watch sent again', () => {
    const HOUR = 3_600_000;
    const open = async (incident: string) => {
      const body = containment(incident);
      const opened = await call(api, 'POST', '/v1/containments', body, sign(TEST_HMAC_SECRET, nowSeconds(), 'POST', '/v1/containments', body));
      expect(opened.status).toBe(202);
      return opened.data.watch_id as string;
    };
    const watchOf = async (watchId: string) => {
      const path = `/v1/watches/${watchId}`;
      return (await call(api, 'GET', path, '', { Authorization: `Bearer ${TEST_TOKEN}` })).data as { expires_at: string; audit: { action: string }[] };
    };
    const extendBody = JSON.stringify({ by: '1h' });

    it('with the signature a 5xx freed (its handler may still have finished): extended once', async () => {
      const watchId = await open('INC-EXTEND-AGAIN');
      const before = Date.parse((await watchOf(watchId)).expires_at);
      const path = `/v1/watches/${watchId}/extend`;
      const headers = sign(TEST_HMAC_SECRET, nowSeconds(), 'POST', path, extendBody);
      expect((await call(api, 'POST', path, extendBody, headers)).status).toBe(200);
      // What the replay guard does when the answer was 429 or 5xx, e.g. a 503 at the deadline while the handler went on.
      await redis.del(redisKeys(prefix).usedSignature(headers['X-CW-Signature'] as string));

      const again = await call(api, 'POST', path, extendBody, headers);
      expect(again.status).toBe(200);
      const after = await watchOf(watchId);
      expect(Date.parse(after.expires_at)).toBe(before + HOUR);
      expect(after.audit.filter((entry) => entry.action === 'extend')).toHaveLength(1);
    });

    it('with the same Idempotency-Key, signed afresh: extended once; another key extends again', async () => {
      const watchId = await open('INC-EXTEND-KEY');
      const before = Date.parse((await watchOf(watchId)).expires_at);
      const path = `/v1/watches/${watchId}/extend`;
      // Each request signed at its own second (from one base: a second turning between two calls would make two
      // signatures alike).
      const base = nowSeconds();
      const extend = (key: string, secondsBefore: number) =>
        call(api, 'POST', path, extendBody, { ...sign(TEST_HMAC_SECRET, base - secondsBefore, 'POST', path, extendBody), 'Idempotency-Key': key });
      expect((await extend('soar-run-1', 0)).status).toBe(200);
      expect((await extend('soar-run-1', 1)).status).toBe(200);
      expect(Date.parse((await watchOf(watchId)).expires_at)).toBe(before + HOUR);
      expect((await extend('soar-run-2', 2)).status).toBe(200);
      expect(Date.parse((await watchOf(watchId)).expires_at)).toBe(before + 2 * HOUR);
      const refused = await extend('k'.repeat(201), 3);
      expect(refused.status).toBe(400);
      expect(refused.data.issues).toEqual([expect.objectContaining({ path: 'Idempotency-Key' })]);
      expect(Date.parse((await watchOf(watchId)).expires_at)).toBe(before + 2 * HOUR);
    });
  });

  describe('v1 signatures', () => {
    it('are refused by default, naming v2', async () => {
      const body = containment('INC-V1-OFF');
      const answer = await call(api, 'POST', '/v1/containments', body, signV1(TEST_HMAC_SECRET, nowSeconds(), body));
      expect(answer.status).toBe(401);
      expect(answer.data.message).toMatch(/sign with v2/);
    });

    it('with WEBHOOK_ACCEPT_V1_SIGNATURES, open a watch on POST /v1/containments, once', async () => {
      const body = containment('INC-V1-ON');
      const headers = signV1(TEST_HMAC_SECRET, nowSeconds(), body);
      expect((await call(v1Api, 'POST', '/v1/containments', body, headers)).status).toBe(202);
      expect((await call(v1Api, 'POST', '/v1/containments', body, headers)).data.code).toBe('request.replayed');
    });

    it('with WEBHOOK_ACCEPT_V1_SIGNATURES, are refused on every other endpoint', async () => {
      const empty = '';
      for (const [method, path] of [
        ['GET', '/v1/watches?state=all'],
        ['GET', '/v1/watches'],
        ['POST', '/v1/watches/w-x/stop'],
        ['GET', '/v1/allow-rules'],
        ['POST', '/v1/containments?state=all'],
      ] as const) {
        const answer = await call(v1Api, method, path, empty, signV1(TEST_HMAC_SECRET, nowSeconds(), empty));
        expect({ method, path, status: answer.status }).toEqual({ method, path, status: 401 });
      }
    });
  });

  describe('the shipped signers', () => {
    const scripts = join(import.meta.dirname, '../../workflows/generic');
    const run = promisify(execFile);
    const missing = ['curl', 'openssl'].filter((tool) => !(process.env.PATH ?? '').split(':').some((dir) => existsSync(join(dir, tool))));
    if (missing.length > 0) console.log(`skipping the shell signers: ${missing.join(' and ')} not on PATH (.ci/run installs them)`);

    it.skipIf(missing.length > 0)('send-containment.sh and cw-call.sh (openssl + curl) are accepted', async () => {
      const file = join(tmpdir(), `cw-signing-${prefix}.json`);
      writeFileSync(file, containment('INC-SCRIPT'));
      const env = { ...process.env, CW_URL: api.url, WEBHOOK_HMAC_SECRET: TEST_HMAC_SECRET };
      const opened = JSON.parse((await run(join(scripts, 'send-containment.sh'), [file], { env })).stdout);
      expect(opened).toMatchObject({ incident_id: 'INC-SCRIPT', merged: false });
      const listed = JSON.parse((await run(join(scripts, 'cw-call.sh'), ['GET', '/v1/watches?state=all&incident=INC-SCRIPT'], { env })).stdout);
      expect(listed.watches.map((watch: { id: string }) => watch.id)).toEqual([opened.watch_id]);
    });
  });
});
