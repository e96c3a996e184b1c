import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { ALL_API_SCOPES, type ApiScope, type ApiToken } from '../contracts/api-scope.js';
import { ApiError } from './errors.js';

export interface AuthConfig {
  tokens: readonly Pick<ApiToken, 'name' | 'token' | 'scopes'>[];
  /** WEBHOOK_HMAC_SECRET. */
  hmacSecret?: string | undefined;
  /** What a signed request may do (WEBHOOK_HMAC_SCOPES). @defaultValue every scope */
  hmacScopes?: readonly ApiScope[] | undefined;
  /** Accept the older `v1` signature, on `POST /v1/containments` only (WEBHOOK_ACCEPT_V1_SIGNATURES). */
  acceptV1Signatures?: boolean | undefined;
  /** Oldest or newest accepted X-CW-Timestamp, in seconds from now. @defaultValue 300 */
  maxSkewSeconds?: number;
  now?: () => number;
}

/** Who is calling, and for a signed request the signature, which must not be accepted twice. */
export interface Caller {
  /** The token's name, or `hmac` for a signed request. */
  name: string;
  scopes: readonly ApiScope[];
  signature?: { value: string; validUntilMs: number };
}

export const DEFAULT_MAX_SKEW_SECONDS = 300;

/** The only path a `v1` signature is still accepted on: it does not cover the method, path or query. */
export const V1_SIGNED_PATH = '/v1/containments';

/** The parts of a request a `v2` signature covers. `pathAndQuery` is the request target exactly as sent. */
export interface SignedRequest {
  timestamp: string;
  method: string;
  pathAndQuery: string;
  body: Buffer | string;
}

/** `v2=<hex HMAC-SHA256(secret, "v2:" + timestamp + ":" + METHOD + ":" + path-and-query + ":" + raw body)>` */
export function signRequest(secret: string, request: SignedRequest): string {
  const mac = createHmac('sha256', secret).update(`v2:${request.timestamp}:${request.method.toUpperCase()}:${request.pathAndQuery}:`).update(request.body);
  return `v2=${mac.digest('hex')}`;
}

/** The X-CW-Timestamp and X-CW-Signature headers of a request signed now with `v2`. */
export function signatureHeaders(secret: string, request: Omit<SignedRequest, 'timestamp'>, nowMs = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return { 'X-CW-Timestamp': timestamp, 'X-CW-Signature': signRequest(secret, { ...request, timestamp }) };
}

/** The older scheme: `v1=<hex HMAC-SHA256(secret, "v1:" + timestamp + ":" + raw body)>`, bound to no method or path. */
export function signV1(secret: string, timestamp: string, body: Buffer | string): string {
  return `v1=${createHmac('sha256', secret).update(`v1:${timestamp}:`).update(body).digest('hex')}`;
}

/** Constant-time comparison that does not leak the length through an early return on the contents. */
function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

/**
 * Authenticates a request by bearer token or HMAC signature and returns the caller. Throws a 401 ApiError otherwise.
 * A signature is only checked here; refusing one seen before is the replay guard's job (it needs Redis).
 */
export function authenticate(req: Request, rawBody: Buffer, config: AuthConfig): Caller {
  const authorization = req.get('authorization');
  if (authorization) return bearerCaller(authorization, config);
  const signature = req.get('x-cw-signature');
  const timestamp = req.get('x-cw-timestamp');
  if (signature || timestamp) return signedCaller(req, rawBody, signature, timestamp, config);
  throw unauthorized('authentication required: Authorization: Bearer <token>, or X-CW-Timestamp + X-CW-Signature');
}

function bearerCaller(authorization: string, config: AuthConfig): Caller {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (!match?.[1]) throw unauthorized('malformed Authorization header; expected "Bearer <token>"');
  const presented = match[1];
  let caller: AuthConfig['tokens'][number] | undefined;
  // Every token is compared, so the time taken does not tell which prefix matched.
  for (const candidate of config.tokens) if (safeEqual(presented, candidate.token) && caller === undefined) caller = candidate;
  if (caller === undefined) throw unauthorized('invalid bearer token');
  return { name: caller.name, scopes: caller.scopes };
}

function signedCaller(req: Request, rawBody: Buffer, signature: string | undefined, timestamp: string | undefined, config: AuthConfig): Caller {
  if (!config.hmacSecret) throw unauthorized('HMAC signatures are not configured on this server');
  if (!signature || !timestamp || !/^\d{1,12}$/.test(timestamp)) {
    throw unauthorized('X-CW-Timestamp (unix seconds) and X-CW-Signature are both required');
  }
  const maxSkew = config.maxSkewSeconds ?? DEFAULT_MAX_SKEW_SECONDS;
  const nowMs = config.now?.() ?? Date.now();
  if (Math.abs(Math.floor(nowMs / 1000) - Number(timestamp)) > maxSkew) {
    throw unauthorized(`X-CW-Timestamp is more than ${maxSkew} seconds from server time (replay protection)`);
  }
  const expected = expectedSignature(req, rawBody, signature, timestamp, config.hmacSecret, config.acceptV1Signatures === true);
  if (!safeEqual(signature, expected)) throw unauthorized('invalid signature');
  return {
    name: 'hmac',
    scopes: config.hmacScopes ?? ALL_API_SCOPES,
    signature: { value: signature, validUntilMs: (Number(timestamp) + maxSkew + 1) * 1000 },
  };
}

function expectedSignature(req: Request, rawBody: Buffer, presented: string, timestamp: string, secret: string, acceptV1: boolean): string {
  if (presented.startsWith('v1=')) {
    if (!acceptV1) throw unauthorized('v1 signatures are not accepted: sign with v2 (method, path and query are signed too)');
    if (req.method !== 'POST' || req.originalUrl !== V1_SIGNED_PATH) {
      throw unauthorized(`a v1 signature is accepted on POST ${V1_SIGNED_PATH} only: sign with v2`);
    }
    return signV1(secret, timestamp, rawBody);
  }
  return signRequest(secret, { timestamp, method: req.method, pathAndQuery: req.originalUrl, body: rawBody });
}

/** Refuses a caller without `scope`, naming what it has and what the endpoint needs. */
export function authorize(caller: Caller, scope: ApiScope, endpoint: string): void {
  if (caller.scopes.includes(scope)) return;
  const held = caller.scopes.length > 0 ? caller.scopes.join(', ') : 'none';
  throw new ApiError('request.forbidden', `${endpoint} needs the ${scope} scope; ${caller.name} has ${held}`);
}

const unauthorized = (message: string) =>
  new ApiError('request.unauthorized', message, { headers: { 'WWW-Authenticate': 'Bearer realm="containment-watch"' } });
