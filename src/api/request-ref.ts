import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { printable } from '../contracts/common.js';
import type { Caller } from './auth.js';
import { invalidRequest } from './errors.js';

/** The header is held to the body's `action_id` rules: it is stored and shown as one. */
const IdempotencyKeySchema = printable(200);

/** The request's `Idempotency-Key`, checked; a 400 naming the header when it breaks the rules. */
export function idempotencyKeyOf(req: Request): string | undefined {
  const header = req.get('idempotency-key');
  if (header === undefined) return undefined;
  const parsed = IdempotencyKeySchema.safeParse(header);
  if (!parsed.success) throw invalidRequest([{ path: 'Idempotency-Key', message: parsed.error.issues[0]?.message ?? 'invalid' }]);
  return parsed.data;
}

/**
 * What makes a change to a watch happen once: its `Idempotency-Key`, else the signature of a signed request. A signed
 * request answered 503 at the deadline may still finish, and its copy sent again by the SOAR (the replay guard lets a
 * 5xx's signature through again) must then change nothing. Recorded as the audit entry's `ref`, hashed.
 */
export function requestRefOf(req: Request, res: Response): string | undefined {
  const key = idempotencyKeyOf(req) ?? (res.locals.caller as Caller).signature?.value;
  return key === undefined ? undefined : `api:${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
}
