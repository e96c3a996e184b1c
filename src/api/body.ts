import express, { type Request, type RequestHandler } from 'express';
import type * as z from 'zod';
import { ApiError, invalidRequest, issuesOf } from './errors.js';

/** The webhook's size limit (DESIGN section 2). */
export const BODY_LIMIT = '256kb';

/** Reads the raw body (kept for HMAC), whatever its type; the handler decides what it accepts. */
export const rawBody: RequestHandler = express.raw({ type: () => true, limit: BODY_LIMIT });

export const rawBodyOf = (req: Request): Buffer => (Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));

/** Parses the raw body as JSON and validates it; 415 when not JSON, 400 naming the field otherwise. */
export function parseJsonBody<T>(req: Request, schema: z.ZodType<T>): T {
  const raw = rawBodyOf(req);
  if (!req.is('application/json') && !(raw.length === 0 && !req.get('content-type'))) {
    throw new ApiError('request.unsupported_media_type', 'the body must be JSON (Content-Type: application/json)');
  }
  let value: unknown;
  try {
    value = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new ApiError('request.invalid_json', `the request body is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidRequest(issuesOf(parsed.error));
  return parsed.data;
}
