import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { authenticate, authorize, signRequest, signV1, type AuthConfig, type Caller } from '../../src/api/auth.js';
import { ApiError } from '../../src/api/errors.js';
import { EnvSchema } from '../../src/config/env.js';

const NOW_S = 1_764_000_000;
const SECRET = 'secret-0123456789abcdef';
const config: AuthConfig = {
  tokens: [
    { name: 'xsoar', token: 'token-xsoar-0123456789', scopes: ['open', 'operate'] },
    { name: 'grafana', token: 'token-grafana-0123456789', scopes: ['read'] },
  ],
  hmacSecret: SECRET,
  now: () => NOW_S * 1000,
};
const body = Buffer.from('{"incident_id":"INC-1"}');

const request = (method: string, url: string, headers: Record<string, string>) =>
  ({ method, originalUrl: url, get: (name: string) => headers[name.toLowerCase()] }) as unknown as Request;

const outcome = (headers: Record<string, string>, options: { method?: string; url?: string; auth?: AuthConfig } = {}): Caller | number => {
  try {
    return authenticate(request(options.method ?? 'POST', options.url ?? '/v1/containments', headers), body, options.auth ?? config);
  } catch (error) {
    return (error as ApiError).status;
  }
};

const signed = (timestamp: number, overrides: { method?: string; pathAndQuery?: string; body?: Buffer } = {}) => ({
  'x-cw-timestamp': String(timestamp),
  'x-cw-signature': signRequest(SECRET, {
    timestamp: String(timestamp),
    method: overrides.method ?? 'POST',
    pathAndQuery: overrides.pathAndQuery ?? '/v1/containments',
    body: overrides.body ?? body,
  }),
});

describe('request authentication', () => {
  it('a bearer token identifies its caller by name, with its scopes', () => {
    expect(outcome({ authorization: 'Bearer token-grafana-0123456789' })).toEqual({ name: 'grafana', scopes: ['read'] });
  });

  it('the v2 HMAC of timestamp, method, path-and-query and body is accepted within 300 s, either side', () => {
    expect(outcome(signed(NOW_S - 300))).toMatchObject({ name: 'hmac', scopes: ['open', 'read', 'operate'] });
    expect(outcome(signed(NOW_S + 300))).toMatchObject({ name: 'hmac' });
  });

  it('a signed caller carries its signature and when it leaves the window, for the replay guard', () => {
    const headers = signed(NOW_S - 100);
    expect(outcome(headers)).toMatchObject({ signature: { value: headers['x-cw-signature'], validUntilMs: (NOW_S + 201) * 1000 } });
  });

  it('matches what workflows/generic/cw-call.sh computes with openssl', () => {
    // printf 'v2:1764000000:POST:/v1/containments:{"incident_id":"INC-1"}' | openssl dgst -sha256 -hmac secret-0123456789abcdef
    expect(signRequest(SECRET, { timestamp: '1764000000', method: 'post', pathAndQuery: '/v1/containments', body })).toBe(
      'v2=531e1ef0df708df3c2b350f81e55234509bba277e9d867f55bf0ac1a6628249d',
    );
    // printf 'v2:1764000000:GET:/v1/watches?state=all:' | openssl dgst -sha256 -hmac secret-0123456789abcdef
    expect(signRequest(SECRET, { timestamp: '1764000000', method: 'GET', pathAndQuery: '/v1/watches?state=all', body: '' })).toBe(
      'v2=bed57cda8ddb468f239b68c8bf5ee30ce3f2afcb4182445199b3cbe9e0ec8e9a',
    );
  });

  it("gives the README's worked example", () => {
    const example = { timestamp: '1764000000', method: 'POST', pathAndQuery: '/v1/watches/w-3f2a/stop', body: '{"reason":"false positive"}' };
    expect(signRequest('example-secret-0123456789', example)).toBe('v2=962af0f8927894da614f010f67bd1965923a724378e66de4616841578e5da8ad');
  });

  it.each([
    ['no credentials', {}, {}],
    ['an unknown token', { authorization: 'Bearer token-other-0123456789' }, {}],
    ['a token prefix', { authorization: 'Bearer token-xsoar' }, {}],
    ['a stale timestamp', signed(NOW_S - 301), {}],
    ['a timestamp beyond the window in the future', signed(NOW_S + 301), {}],
    ['a signature without timestamp', { 'x-cw-signature': 'v2=00' }, {}],
    ['a non-numeric timestamp', { 'x-cw-timestamp': 'now', 'x-cw-signature': 'v2=00' }, {}],
    ['a wrong signature', { 'x-cw-timestamp': String(NOW_S), 'x-cw-signature': 'v2=deadbeef' }, {}],
    ['a signature of POST sent as GET', signed(NOW_S), { method: 'GET' }],
    ['a signature of /v1/containments sent to another path', signed(NOW_S), { url: '/v1/watches/w-1/stop' }],
    ['a signature without the query sent with one', signed(NOW_S, { pathAndQuery: '/v1/watches' }), { method: 'GET', url: '/v1/watches?state=all' }],
    ['a signature of another body', signed(NOW_S, { body: Buffer.from('{"incident_id":"INC-2"}') }), {}],
    ['a v1 signature while v1 is off', { 'x-cw-timestamp': String(NOW_S), 'x-cw-signature': signV1(SECRET, String(NOW_S), body) }, {}],
    [
      'a v1 signature on another path while v1 is on',
      { 'x-cw-timestamp': String(NOW_S), 'x-cw-signature': signV1(SECRET, String(NOW_S), body) },
      { url: '/v1/watches/w-1/stop', auth: { ...config, acceptV1Signatures: true } },
    ],
    [
      'a v1 signature with a query while v1 is on',
      { 'x-cw-timestamp': String(NOW_S), 'x-cw-signature': signV1(SECRET, String(NOW_S), body) },
      { url: '/v1/containments?x=1', auth: { ...config, acceptV1Signatures: true } },
    ],
  ])('%s is a 401', (_story, headers, options) => {
    expect(outcome(headers, options)).toBe(401);
  });

  it('a v1 signature opens a watch only when WEBHOOK_ACCEPT_V1_SIGNATURES is on', () => {
    const headers = { 'x-cw-timestamp': String(NOW_S), 'x-cw-signature': signV1(SECRET, String(NOW_S), body) };
    expect(outcome(headers, { auth: { ...config, acceptV1Signatures: true } })).toMatchObject({ name: 'hmac' });
  });

  it('a signed request gets the scopes of WEBHOOK_HMAC_SCOPES', () => {
    expect(outcome(signed(NOW_S), { auth: { ...config, hmacScopes: ['open'] } })).toMatchObject({ scopes: ['open'] });
  });
});

describe('scopes', () => {
  it('a caller without the scope is refused 403, naming the scope and what the caller has', () => {
    const refusal = (() => {
      try {
        authorize({ name: 'grafana', scopes: ['read'] }, 'operate', 'POST /v1/watches/:id/stop');
      } catch (error) {
        return error as ApiError;
      }
    })();
    expect(refusal?.status).toBe(403);
    expect(refusal?.message).toBe('POST /v1/watches/:id/stop needs the operate scope; grafana has read');
  });

  const parse = (tokens: string) => EnvSchema.safeParse({ WEBHOOK_TOKENS: tokens });

  it('WEBHOOK_TOKENS takes name[scope+scope]:token; a name without a list gets every scope', () => {
    const parsed = parse('xsoar[open+operate]:token-xsoar-0123456789, grafana[read]:token-grafana-0123456789, legacy:token-legacy-0123456789');
    expect(parsed.success && parsed.data.WEBHOOK_TOKENS).toEqual([
      { name: 'xsoar', token: 'token-xsoar-0123456789', scopes: ['open', 'operate'], scoped: true },
      { name: 'grafana', token: 'token-grafana-0123456789', scopes: ['read'], scoped: true },
      { name: 'legacy', token: 'token-legacy-0123456789', scopes: ['open', 'read', 'operate'], scoped: false },
    ]);
  });

  it.each([
    ['an unknown scope', 'xsoar[open+admin]:token-xsoar-0123456789', /"admin" is not a scope/],
    ['an empty scope list', 'xsoar[]:token-xsoar-0123456789', /"" is not a scope/],
    ['a name with spaces', 'x soar:token-xsoar-0123456789', /name:token or name\[scope\+scope\]:token/],
    ['a short token', 'xsoar[open]:short', /at least 16 characters/],
  ])('%s stops start-up naming WEBHOOK_TOKENS', (_story, tokens, message) => {
    const parsed = parse(tokens);
    expect(parsed.success).toBe(false);
    const issue = parsed.error?.issues[0];
    expect(issue?.path).toEqual(['WEBHOOK_TOKENS']);
    expect(issue?.message).toMatch(message);
  });

  it('WEBHOOK_HMAC_SCOPES takes a comma-separated list and refuses an unknown word', () => {
    const parsed = EnvSchema.safeParse({ WEBHOOK_HMAC_SCOPES: 'open, operate' });
    expect(parsed.success && parsed.data.WEBHOOK_HMAC_SCOPES).toEqual(['open', 'operate']);
    const wrong = EnvSchema.safeParse({ WEBHOOK_HMAC_SCOPES: 'open,write' });
    expect(wrong.error?.issues[0]).toMatchObject({ path: ['WEBHOOK_HMAC_SCOPES'], message: expect.stringMatching(/"write" is not a scope/) });
  });
});
