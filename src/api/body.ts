import express, { type Request, type RequestHandler } from 'express';
import type * as z from 'zod';
import { issuesOf } from '../contracts/field-issues.js';
import { ApiError, invalidRequest } from './errors.js';

/** The webhook's size limit (DESIGN section 2). */
export const BODY_LIMIT = '256kb';

/** Reads the raw body (kept for HMAC), whatever its type; the handler decides what it accepts. */
export const rawBody: RequestHandler = express.raw({ type: () => true, limit: BODY_LIMIT });

/**
 * Strict: a byte that is not UTF-8 refuses the body instead of becoming U+FFFD, which would let a broken request
 * through (its HMAC covers bytes that no longer say what the watch stores). A leading BOM is kept, so JSON.parse
 * refuses it as before.
 */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The path of the first key an object holds twice in `json` (valid JSON text), as error paths are written
 * (`hosts.0.hostname`). JSON.parse keeps the last silently, so a body could say one thing to a proxy or signer that
 * reads the first and another to this service.
 */
export function duplicateKeyPath(json: string): string | undefined {
  const open: { keys: Set<string> | undefined; at: string | number; expectingKey: boolean }[] = [];
  for (let i = 0; i < json.length; i++) {
    const char = json[i];
    if (char === '"') {
      let end = i + 1;
      while (json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      const container = open.at(-1);
      if (container?.keys && container.expectingKey) {
        const written = json.slice(i + 1, end);
        const key = written.includes('\\') ? (JSON.parse(json.slice(i, end + 1)) as string) : written;
        if (container.keys.has(key)) return [...open.slice(0, -1).map((parent) => parent.at), key].join('.');
        container.keys.add(key);
        container.at = key;
        container.expectingKey = false;
      }
      i = end;
    } else if (char === '{') open.push({ keys: new Set(), at: '', expectingKey: true });
    else if (char === '[') open.push({ keys: undefined, at: 0, expectingKey: false });
    else if (char === '}' || char === ']') open.pop();
    else if (char === ',') {
      const container = open.at(-1);
      if (container?.keys) container.expectingKey = true;
      else if (container) container.at = Number(container.at) + 1;
    }
  }
  return undefined;
}

export const rawBodyOf = (req: Request): Buffer => (Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));

/** Parses the raw body as JSON and validates it; 415 when not JSON, 400 naming the field otherwise. */
export function parseJsonBody<T>(req: Request, schema: z.ZodType<T>): T {
  const raw = rawBodyOf(req);
  if (!req.is('application/json') && !(raw.length === 0 && !req.get('content-type'))) {
    throw new ApiError('request.unsupported_media_type', 'the body must be JSON (Content-Type: application/json)');
  }
  if (raw.length === 0) return parseValue({}, schema);
  let text: string;
  try {
    text = UTF8.decode(raw);
  } catch {
    throw new ApiError('request.invalid_json', 'the request body is not valid JSON: it is not UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ApiError('request.invalid_json', `the request body is not valid JSON: ${(error as Error).message}`);
  }
  const duplicate = duplicateKeyPath(text);
  if (duplicate !== undefined) throw invalidRequest([{ path: duplicate, message: 'given more than once' }]);
  return parseValue(value, schema);
}

function parseValue<T>(value: unknown, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidRequest(issuesOf(parsed.error));
  return parsed.data;
}
