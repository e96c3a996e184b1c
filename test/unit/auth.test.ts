import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { authenticate, hmacSignature } from '../../src/api/auth.js';
import { ApiError } from '../../src/api/errors.js';

const request = (headers: Record<string, string>) => ({ get: (name: string) => headers[name.toLowerCase()] }) as unknown as Request;
const config = { tokens: [{ name: 'xsoar', token: 'token-xsoar-0123456789' }, { name: 'tines', token: 'token-tines-0123456789' }], hmacSecret: 'secret-0123456789abcdef', now: () => 1_764_000_000_000 };
const body = Buffer.from('{"incident_id":"INC-1"}');

const status = (headers: Record<string, string>) => {
  try {
    return authenticate(request(headers), body, config);
  } catch (error) {
    return (error as ApiError).status;
  }
};

describe('webhook authentication', () => {
  it('a bearer token identifies its caller by name', () => {
    expect(status({ authorization: 'Bearer token-tines-0123456789' })).toBe('tines');
  });

  it('the HMAC of "v1:<timestamp>:<raw body>" is accepted within 300 s', () => {
    const timestamp = String(1_764_000_000 - 299);
    expect(status({ 'x-cw-timestamp': timestamp, 'x-cw-signature': hmacSignature(config.hmacSecret, timestamp, body) })).toBe('hmac');
  });

  it('matches what workflows/generic/send-containment.sh computes with openssl', () => {
    // printf 'v1:1764000000:{"incident_id":"INC-1"}' | openssl dgst -sha256 -hmac secret-0123456789abcdef
    expect(hmacSignature(config.hmacSecret, '1764000000', body)).toBe('v1=9d9aaa0bd790c97fe3b846e6894901715e03d97fc787a991158d69e54f9530a5');
  });

  it.each([
    ['no credentials', {}],
    ['an unknown token', { authorization: 'Bearer token-other-0123456789' }],
    ['a token prefix', { authorization: 'Bearer token-tines' }],
    ['a stale timestamp', { 'x-cw-timestamp': String(1_764_000_000 - 301), 'x-cw-signature': hmacSignature(config.hmacSecret, String(1_764_000_000 - 301), body) }],
    ['a future timestamp beyond the window', { 'x-cw-timestamp': String(1_764_000_000 + 301), 'x-cw-signature': hmacSignature(config.hmacSecret, String(1_764_000_000 + 301), body) }],
    ['a signature without timestamp', { 'x-cw-signature': 'v1=00' }],
    ['a non-numeric timestamp', { 'x-cw-timestamp': 'now', 'x-cw-signature': 'v1=00' }],
    ['a wrong signature', { 'x-cw-timestamp': '1764000000', 'x-cw-signature': 'v1=deadbeef' }],
  ])('%s is a 401', (_story, headers) => {
    expect(status(headers)).toBe(401);
  });
});
