import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { ApiError } from './errors.js';

export interface AuthConfig {
  /** Bearer tokens by caller name (WEBHOOK_TOKENS). */
  tokens: readonly { name: string; token: string }[];
  /** WEBHOOK_HMAC_SECRET. */
  hmacSecret?: string;
  /** Oldest accepted X-CW-Timestamp, in seconds. Default 300. */
  maxSkewSeconds?: number;
  now?: () => number;
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

export function hmacSignature(secret: string, timestamp: string, rawBody: Buffer | string): string {
  return `v1=${createHmac('sha256', secret).update(`v1:${timestamp}:`).update(rawBody).digest('hex')}`;
}

/**
 * Authenticates a request by bearer token or HMAC signature (DESIGN section 2) and returns the caller's
 * name for the audit trail. Throws a 401 ApiError otherwise.
 */
export function authenticate(req: Request, rawBody: Buffer, config: AuthConfig): string {
  const authorization = req.get('authorization');
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match?.[1]) throw unauthorized('malformed Authorization header; expected "Bearer <token>"');
    const presented = match[1];
    let caller: string | undefined;
    // Every token is compared, so the time taken does not tell which prefix matched.
    for (const { name, token } of config.tokens) if (safeEqual(presented, token) && caller === undefined) caller = name;
    if (caller === undefined) throw unauthorized('invalid bearer token');
    return caller;
  }

  const signature = req.get('x-cw-signature');
  const timestamp = req.get('x-cw-timestamp');
  if (signature || timestamp) {
    if (!config.hmacSecret) throw unauthorized('HMAC signatures are not configured on this server');
    if (!signature || !timestamp || !/^\d{1,12}$/.test(timestamp)) {
      throw unauthorized('X-CW-Timestamp (unix seconds) and X-CW-Signature are both required');
    }
    const now = Math.floor((config.now?.() ?? Date.now()) / 1000);
    if (Math.abs(now - Number(timestamp)) > (config.maxSkewSeconds ?? 300)) {
      throw unauthorized('X-CW-Timestamp is more than 300 seconds from server time (replay protection)');
    }
    if (!safeEqual(signature, hmacSignature(config.hmacSecret, timestamp, rawBody))) throw unauthorized('invalid signature');
    return 'hmac';
  }
  throw unauthorized('authentication required: Authorization: Bearer <token>, or X-CW-Timestamp + X-CW-Signature');
}

const unauthorized = (message: string) =>
  new ApiError('request.unauthorized', message, { headers: { 'WWW-Authenticate': 'Bearer realm="containment-watch"' } });
