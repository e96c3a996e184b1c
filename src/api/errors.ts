import type { ErrorRequestHandler, Response } from 'express';
import type * as z from 'zod';
import type { Logger } from '../lib/logger.js';

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
    if (isRedisUnavailable(error)) {
      logger.warn({ err: (error as Error).message, path: req.path }, 'redis unavailable');
      return sendError(res, new ApiError(503, 'unavailable', 'the watch store is unavailable; retry later', undefined, { 'Retry-After': '5' }));
    }
    logger.error({ err: error, path: req.path }, 'unhandled API error');
    sendError(res, new ApiError(500, 'internal', 'internal error'));
  };
}

function isRedisUnavailable(error: unknown): boolean {
  const message = (error as Error | undefined)?.message ?? '';
  return /Stream isn't writeable|Connection is closed|ECONNREFUSED|MaxRetriesPerRequestError|timed out waiting for lock/.test(message);
}
