import type { ErrorRequestHandler, Response } from 'express';
import type * as z from 'zod';
import { LockTimeoutError } from '../lib/lock.js';
import type { Logger } from '../lib/logger.js';
import { isRedisUnavailable } from '../lib/redis-errors.js';

/** Stable error codes of the HTTP API; clients branch on `error`, humans read `message`. */
export type ApiErrorCode =
  | 'invalid_request'
  | 'invalid_json'
  | 'unauthorized'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

export interface FieldIssue {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly issues?: FieldIssue[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const pathOf = (path: readonly PropertyKey[]) => path.map(String).join('.') || '(body)';

/** One issue per offending field; an unknown key is named by its own path, not its parent's. */
export const issuesOf = (error: z.ZodError): FieldIssue[] =>
  error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: pathOf([...issue.path, key]), message: 'unknown field' }))
      : [{ path: pathOf(issue.path), message: issue.message }],
  );

export function invalidRequest(issues: FieldIssue[]): ApiError {
  const summary = issues
    .slice(0, 3)
    .map((issue) => `${issue.path}: ${issue.message}`)
    .join('; ');
  return new ApiError(400, 'invalid_request', summary, issues);
}

export function sendError(res: Response, error: ApiError): void {
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.status(error.status).json({ error: error.code, message: error.message, ...(error.issues ? { issues: error.issues } : {}) });
}

/** The last middleware: known errors keep their status; body-parser's own errors map to their codes. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  const warnUnavailable = foldedWarning(logger, 'redis unavailable: answered 503');
  return (error: unknown, req, res, _next) => {
    if (res.headersSent) return;
    if (error instanceof ApiError) return sendError(res, error);
    const status = (error as { status?: number; type?: string }).status;
    const type = (error as { type?: string }).type;
    if (status === 413 || type === 'entity.too.large') {
      return sendError(res, new ApiError(413, 'payload_too_large', 'the request body is larger than 256 KiB'));
    }
    if (type === 'entity.parse.failed') return sendError(res, new ApiError(400, 'invalid_json', 'the request body is not valid JSON'));
    if (status !== undefined && status >= 400 && status < 500) {
      return sendError(res, new ApiError(status, 'invalid_request', (error as Error).message));
    }
    if (isRedisUnavailable(error) || error instanceof LockTimeoutError) {
      warnUnavailable({ error: (error as Error).name, code: (error as NodeJS.ErrnoException).code, path: req.path });
      return sendError(res, storeUnavailable());
    }
    logger.error({ err: error, path: req.path }, 'unhandled API error');
    sendError(res, new ApiError(500, 'internal', 'internal error'));
  };
}

/** Seconds a client is asked to wait before retrying after a 503. */
export const RETRY_AFTER_SECONDS = 5;

/** The 503 of the API: Redis is unreachable or went away, or the request ran out of its deadline. */
export const storeUnavailable = (): ApiError =>
  new ApiError(503, 'unavailable', 'the watch store is unavailable; retry later', undefined, { 'Retry-After': String(RETRY_AFTER_SECONDS) });

/** Logs the first occurrence, then at most one line per `intervalMs` with the count of those folded into it. */
export function foldedWarning(logger: Logger, message: string, intervalMs = 5_000): (fields: Record<string, unknown>) => void {
  let lastAt = -Infinity;
  let folded = 0;
  return (fields) => {
    const now = Date.now();
    if (now - lastAt < intervalMs) {
      folded += 1;
      return;
    }
    logger.warn({ ...fields, ...(folded ? { folded } : {}) }, message);
    lastAt = now;
    folded = 0;
  };
}
