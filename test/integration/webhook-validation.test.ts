import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import axios from 'axios';
import { signRequest } from '../../src/api/auth.js';
import { silentLogger } from '../../src/lib/logger.js';
import { startApi, type ApiService } from '../../src/runtime/services.js';
import { mdeSourceYaml, TEST_HMAC_SECRET, TEST_TOKEN, testConfig } from '../helpers/config.js';
import { dropPrefix, uniquePrefix } from '../helpers/redis.js';

const valid = () => ({
  incident_id: 'INC-2041',
  blocked: [{ type: 'ip', value: '203.0.113.7' }],
  hosts: [{ hostname: 'FIN-WS-042', ip: '10.20.1.42' }],
});

const now = () => String(Math.floor(Date.now() / 1000));

const hmacSignature = (secret: string, timestamp: string, body: string) => signRequest(secret, { timestamp, method: 'POST', pathAndQuery: '/v1/containments', body });

const deeplyNested = (depth: number) => `{"incident_id": ${'['.repeat(depth)}${']'.repeat(depth)}, "blocked": [], "hosts": []}`;

/** [story, expected status, the field the error must name, body (object or raw string)] */
const MALFORMED: [string, number, string, unknown][] = [
  ['incident_id missing', 400, 'incident_id', { ...valid(), incident_id: undefined }],
  ['incident_id is a number', 400, 'incident_id', { ...valid(), incident_id: 2041 }],
  ['incident_id holds control characters', 400, 'incident_id', { ...valid(), incident_id: 'INC\u0000-1' }],
  ['blocked missing', 400, 'blocked', { ...valid(), blocked: undefined }],
  ['blocked empty', 400, 'blocked', { ...valid(), blocked: [] }],
  ['101 indicators', 400, 'blocked', { ...valid(), blocked: Array.from({ length: 101 }, (_, i) => ({ type: 'ip', value: `203.0.113.${i % 250}` })) }],
  ['indicator of unknown type', 400, 'blocked.0.type', { ...valid(), blocked: [{ type: 'url', value: 'http://x' }] }],
  ['invalid IP', 400, 'blocked.0.value', { ...valid(), blocked: [{ type: 'ip', value: '999.1.1.1' }] }],
  ['invalid CIDR', 400, 'blocked.0.value', { ...valid(), blocked: [{ type: 'cidr', value: '10.0.0.0/99' }] }],
  ['invalid domain', 400, 'blocked.0.value', { ...valid(), blocked: [{ type: 'domain', value: 'not a domain' }] }],
  ['hosts missing', 400, 'hosts', { ...valid(), hosts: undefined }],
  ['hosts empty', 400, 'hosts', { ...valid(), hosts: [] }],
  ['501 hosts', 400, 'hosts', { ...valid(), hosts: Array.from({ length: 501 }, (_, i) => ({ hostname: `WS-${i}` })) }],
  ['a host with neither hostname nor ip', 400, 'hosts.0.hostname', { ...valid(), hosts: [{ edr_id: 'abc' }] }],
  ['a host with a bad ip', 400, 'hosts.0.ip', { ...valid(), hosts: [{ hostname: 'WS-1', ip: '10.20.1' }] }],
  ['a host name of 256 characters', 400, 'hosts.0.hostname', { ...valid(), hosts: [{ hostname: 'a'.repeat(256) }] }],
  ['an unknown top-level field', 400, 'priority', { ...valid(), priority: 'p1' }],
  ['an unknown field in a host', 400, 'hosts.0.os', { ...valid(), hosts: [{ hostname: 'WS-1', os: 'windows' }] }],
  ['blocked_at not a date', 400, 'blocked_at', { ...valid(), blocked_at: 'yesterday' }],
  ['blocked_at in the future', 400, 'blocked_at', { ...valid(), blocked_at: new Date(Date.now() + 86_400_000).toISOString() }],
  ['blocked_at in year 0000', 400, 'blocked_at', { ...valid(), blocked_at: '0000-01-01T00:00:00Z' }],
  ['blocked_at at the epoch', 400, 'blocked_at', { ...valid(), blocked_at: '1970-01-01T00:00:00Z' }],
  ['a domain whose top-level label is all digits', 400, 'blocked.0.value', { ...valid(), blocked: [{ type: 'domain', value: 'example.123' }] }],
  ['an address given as a domain', 400, 'blocked.0.value', { ...valid(), blocked: [{ type: 'domain', value: '10.0.0.1' }] }],
  ['a host name with a bidi override', 400, 'hosts.0.hostname', { ...valid(), hosts: [{ hostname: 'WS-\u202eexe.1' }] }],
  ['a host name with a zero-width space', 400, 'hosts.0.hostname', { ...valid(), hosts: [{ hostname: 'FIN-WS\u200b-042' }] }],
  ['a title with a C1 control character', 400, 'title', { ...valid(), title: 'Beacon\u0085 on finance' }],
  ['a title with a right-to-left isolate', 400, 'title', { ...valid(), title: 'Beacon \u2067on finance' }],
  ['an incident id with a byte-order mark', 400, 'incident_id', { ...valid(), incident_id: '\ufeffINC-1' }],
  ['watch.duration unparseable', 400, 'watch.duration', { ...valid(), watch: { duration: 'forever' } }],
  ['watch.poll_interval too short', 400, 'watch.poll_interval', { ...valid(), watch: { poll_interval: '10ms' } }],
  ['severity unknown', 400, 'severity', { ...valid(), severity: 'urgent' }],
  ['slack_channel malformed', 400, 'slack_channel', { ...valid(), slack_channel: '<!channel>' }],
  ['an unconfigured source', 400, 'sources.0', { ...valid(), sources: ['crowdstrike-prod'] }],
  ['a deeply nested value', 400, 'incident_id', deeplyNested(5_000)],
  ['a title with a soft hyphen', 400, 'title', { ...valid(), title: 'Beacon\u00adon finance' }],
  ['a title with tag characters spelling hidden text', 400, 'title', { ...valid(), title: 'Beacon\u{E0069}\u{E0067}\u{E006E}' }],
  ['a title with a lone surrogate', 400, 'title', { ...valid(), title: 'Beacon \ud800 on finance' }],
  ['a host name with a Mongolian vowel separator', 400, 'hosts.0.hostname', { ...valid(), hosts: [{ hostname: 'FIN\u180eWS-042' }] }],
  ['incident_id twice, the first one invalid', 400, 'incident_id', `{"incident_id":42,${JSON.stringify(valid()).slice(1)}`],
  ['incident_id twice, once written with an escape', 400, 'incident_id', `{"\\u0069ncident_id":"INC-1",${JSON.stringify(valid()).slice(1)}`],
  ['a host name twice in the second host', 400, 'hosts.1.hostname', JSON.stringify({ ...valid(), hosts: [{ hostname: 'A' }, { hostname: 'B' }] }).replace('{"hostname":"B"}', '{"hostname":"\\u0000","hostname":"B"}')],
  ['a JSON array instead of an object', 400, '(body)', '[1,2,3]'],
  ['JSON null', 400, '(body)', 'null'],
];

describe('the webhook rejects bad input with the field named, and opens no watch', () => {
  const prefix = uniquePrefix('validation');
  let api: ApiService;

  const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
    axios.post(`${api.url}/v1/containments`, body, {
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TEST_TOKEN}`, ...headers },
      transformRequest: [(data) => data],
      validateStatus: () => true,
      maxBodyLength: Infinity,
    });

  beforeAll(async () => {
    const config = testConfig({ prefix, yaml: `sources:\n${mdeSourceYaml('http://127.0.0.1:9')}` });
    api = await startApi(config, silentLogger());
  });

  afterAll(async () => {
    await api.close();
    await dropPrefix(prefix);
  });

  it.each(MALFORMED)('%s → %i naming %s', async (_story, status, field, body) => {
    const response = await post(typeof body === 'string' ? body : JSON.stringify(body));
    expect(response.status).toBe(status);
    expect(response.data).toMatchObject({ error: 'invalid_request', code: 'request.invalid', retry: 'terminal' });
    expect(response.data.issues.map((issue: { path: string }) => issue.path)).toContain(field);
  });

  it.each([
    ['an overlong NUL (C0 80) in a host name', [0xc0, 0x80]],
    ['a lone FF byte', [0xff]],
    ['an encoded surrogate (ED A0 80)', [0xed, 0xa0, 0x80]],
  ])('%s: not UTF-8, so not JSON → 400 invalid_json (not U+FFFD and a watch)', async (_story, bytes) => {
    const [before, after] = JSON.stringify(valid()).split('FIN-WS');
    const response = await post(Buffer.concat([Buffer.from(`${before}FIN-WS`), Buffer.from(bytes), Buffer.from(after as string)]));
    expect(response.status).toBe(400);
    expect(response.data.code).toBe('request.invalid_json');
  });

  it('a body that is not JSON at all is a 400 invalid_json', async () => {
    const response = await post('{"incident_id": "INC-1", ');
    expect(response.status).toBe(400);
    expect(response.data.code).toBe('request.invalid_json');
  });

  it('a non-JSON content type is a 415', async () => {
    const response = await post('incident_id=INC-1', { 'Content-Type': 'application/x-www-form-urlencoded' });
    expect(response.status).toBe(415);
    expect(response.data.code).toBe('request.unsupported_media_type');
  });

  it('an unknown Content-Encoding is a 415', async () => {
    const response = await post(JSON.stringify(valid()), { 'Content-Encoding': 'x-foo' });
    expect(response.status).toBe(415);
    expect(response.data.code).toBe('request.unsupported_media_type');
  });

  it('a body that does not decode as its Content-Encoding is a 400 naming Content-Encoding', async () => {
    const response = await post(JSON.stringify(valid()), { 'Content-Encoding': 'gzip' });
    expect(response.status).toBe(400);
    expect(response.data.issues.map((issue: { path: string }) => issue.path)).toEqual(['Content-Encoding']);
  });

  it('an unknown field with an empty name is named as ""', async () => {
    const response = await post(JSON.stringify({ ...valid(), '': 1 }));
    expect(response.status).toBe(400);
    expect(response.data.issues.map((issue: { path: string }) => issue.path)).toEqual(['""']);
  });

  it.each([
    ['a C1 control', 'abc\u0085def'],
    ['a tab', 'abc\tdef'],
    ['201 characters', 'k'.repeat(201)],
  ])('an Idempotency-Key holding %s is a 400 naming Idempotency-Key, and opens nothing', async (_story, key) => {
    const response = await post(JSON.stringify({ ...valid(), incident_id: 'INC-IDEM-HEADER' }), { 'Idempotency-Key': key });
    expect(response.status).toBe(400);
    expect(response.data.issues.map((issue: { path: string }) => issue.path)).toEqual(['Idempotency-Key']);
  });

  it('a body over 256 KiB is a 413', async () => {
    const body = JSON.stringify({ ...valid(), title: 'x'.repeat(300 * 1024) });
    const response = await post(body);
    expect(response.status).toBe(413);
    expect(response.data.code).toBe('request.too_large');
  });

  describe('authentication', () => {
    const body = JSON.stringify(valid());

    it.each([
      ['no credentials', { Authorization: '' }],
      ['a wrong bearer token', { Authorization: 'Bearer not-the-right-token-at-all' }],
      ['a malformed Authorization header', { Authorization: 'Basic c29hcjp4' }],
    ])('%s → 401', async (_story, headers) => {
      const response = await post(body, headers);
      expect(response.status).toBe(401);
      expect(response.data.code).toBe('request.unauthorized');
    });

    it('a bad HMAC signature → 401', async () => {
      const timestamp = now();
      const response = await post(body, {
        Authorization: '',
        'X-CW-Timestamp': timestamp,
        'X-CW-Signature': hmacSignature('some-other-secret-0123456789', timestamp, body),
      });
      expect(response.status).toBe(401);
    });

    it('a signature over a different body → 401', async () => {
      const timestamp = now();
      const response = await post(body, {
        Authorization: '',
        'X-CW-Timestamp': timestamp,
        'X-CW-Signature': hmacSignature(TEST_HMAC_SECRET, timestamp, body.replace('FIN-WS-042', 'FIN-WS-043')),
      });
      expect(response.status).toBe(401);
    });

    it('a correctly signed but stale request (older than 300 s) → 401', async () => {
      const stale = String(Math.floor(Date.now() / 1000) - 301);
      const response = await post(body, { Authorization: '', 'X-CW-Timestamp': stale, 'X-CW-Signature': hmacSignature(TEST_HMAC_SECRET, stale, body) });
      expect(response.status).toBe(401);
      expect(response.data.message).toMatch(/300 seconds/);
    });
  });

  it('none of the rejected requests created a watch', async () => {
    const response = await axios.get(`${api.url}/v1/watches?state=all`, { headers: { Authorization: `Bearer ${TEST_TOKEN}` } });
    expect(response.status).toBe(200);
    expect(response.data.watches).toEqual([]);
  });

  it('a valid, correctly signed request is accepted (the table above is not failing for another reason)', async () => {
    const timestamp = now();
    const body = JSON.stringify({ ...valid(), incident_id: 'INC-VALID', action_id: 'valid-1' });
    const response = await post(body, { Authorization: '', 'X-CW-Timestamp': timestamp, 'X-CW-Signature': hmacSignature(TEST_HMAC_SECRET, timestamp, body) });
    expect(response.status).toBe(202);
    expect(response.data).toMatchObject({ incident_id: 'INC-VALID', state: 'baseline', merged: false });
  });

  it('a title holding an emoji and JSON-looking text with a repeated key is accepted: only the body\'s own keys count', async () => {
    const title = 'Beacon 😀 é {"a":1,"a":2} [,]';
    const response = await post(JSON.stringify({ ...valid(), incident_id: 'INC-JSON-TITLE', title }));
    expect(response.status).toBe(202);
    const watch = await axios.get(`${api.url}/v1/watches/${response.data.watch_id}`, { headers: { Authorization: `Bearer ${TEST_TOKEN}` } });
    expect(watch.data.title).toBe(title);
  });
});
