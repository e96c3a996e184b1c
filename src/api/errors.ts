import type { ErrorRequestHandler, Response } from 'express';
import * as z from 'zod';
import { FailureCodeSchema, OperationalError, RetryClassSchema, type Failure, type FailureCode, type RetryClass } from '../lib/failure.js';
import { FieldIssueSchema, type FieldIssue } from '../contracts/field-issues.js';
import { failureOf } from '../lib/failure-of.js';
import type { Logger } from '../lib/logger.js';

/**
 * The one mapping of failure codes onto HTTP: the status, and the `error` string of the documented answer
 * (`{"error": "invalid_request", ...}`), which SOAR playbooks already branch on; `code` refines it. Source and Slack
 * failures reach no client: a 502 if one ever did.
 */
export const HTTP_ANSWER: Readonly<Record<FailureCode, { status: number; error: ApiErrorName }>> = {
  'source.credentials_rejected': { status: 502, error: 'upstream_failed' },
  'source.forbidden': { status: 502, error: 'upstream_failed' },
  'source.query_rejected': { status: 502, error: 'upstream_failed' },
  'source.bad_response': { status: 502, error: 'upstream_failed' },
  'source.misconfigured': { status: 502, error: 'upstream_failed' },
  'source.rate_limited': { status: 502, error: 'upstream_failed' },
  'source.unavailable': { status: 502, error: 'upstream_failed' },
  'slack.channel_not_found': { status: 502, error: 'upstream_failed' },
  'slack.not_in_channel': { status: 502, error: 'upstream_failed' },
  'slack.no_channel': { status: 502, error: 'upstream_failed' },
  'slack.credentials_rejected': { status: 502, error: 'upstream_failed' },
  'slack.rejected': { status: 502, error: 'upstream_failed' },
  'slack.rate_limited': { status: 502, error: 'upstream_failed' },
  'slack.unavailable': { status: 502, error: 'upstream_failed' },
  'redis.unavailable': { status: 503, error: 'unavailable' },
  'watch.not_found': { status: 404, error: 'not_found' },
  'watch.closed': { status: 409, error: 'conflict' },
  'watch.request_rejected': { status: 400, error: 'invalid_request' },
  'request.invalid': { status: 400, error: 'invalid_request' },
  'request.invalid_json': { status: 400, error: 'invalid_json' },
  'request.unauthorized': { status: 401, error: 'unauthorized' },
  'request.replayed': { status: 401, error: 'unauthorized' },
  'request.forbidden': { status: 403, error: 'forbidden' },
  'request.not_found': { status: 404, error: 'not_found' },
  'request.too_large': { status: 413, error: 'payload_too_large' },
  'request.unsupported_media_type': { status: 415, error: 'unsupported_media_type' },
  'request.rate_limited': { status: 429, error: 'rate_limited' },
  internal: { status: 500, error: 'internal' },
};

export const ApiErrorNameSchema = z.enum([
  'invalid_request',
  'invalid_json',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'unavailable',
  'upstream_failed',
  'internal',
]);
export type ApiErrorName = z.infer<typeof ApiErrorNameSchema>;


/**
 * Every error answer of the API: clients branch on `error` (stable since the first release) or on the finer `code`
 * and `retry`; humans read `message`.
 */
export const ApiErrorBodySchema = z.object({
  error: ApiErrorNameSchema,
  code: FailureCodeSchema,
  retry: RetryClassSchema,
  message: z.string(),
  issues: z.array(FieldIssueSchema).optional(),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBodySchema>;

/** The retry class of the API's own refusals: a request refused as it is will be refused again. */
const retryOf = (code: FailureCode): RetryClass =>
  code === 'request.rate_limited' ? 'rate_limited' : code === 'redis.unavailable' || code === 'internal' ? 'retryable' : 'terminal';

export class ApiError extends OperationalError {
  readonly issues: FieldIssue[] | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: FailureCode,
    message: string,
    options: { issues?: FieldIssue[]; headers?: Record<string, string>; retryAfterMs?: number } = {},
  ) {
    super(code, retryOf(code), message, { retryAfterMs: options.retryAfterMs });
    this.issues = options.issues;
    this.headers = options.headers ?? {};
  }

  get status(): number {
    return HTTP_ANSWER[this.code].status;
  }
}

export function invalidRequest(issues: FieldIssue[]): ApiError {
  const summary = issues
    .slice(0, 3)
    .map((issue) => `${issue.path}: ${issue.message}`)
    .join('; ');
  return new ApiError('request.invalid', summary, { issues });
}

/** Answers `failure` with the status of its code; a wait it asks for becomes `Retry-After`. */
export function sendError(res: Response, failure: Failure): void {
  const api = failure instanceof ApiError ? failure : undefined;
  for (const [name, value] of Object.entries(api?.headers ?? {})) res.setHeader(name, value);
  if (failure.kind !== 'terminal' && failure.retryAfterMs !== undefined) res.setHeader('Retry-After', String(Math.ceil(failure.retryAfterMs / 1_000)));
  const { status, error } = HTTP_ANSWER[failure.code];
  const body: ApiErrorBody = { error, code: failure.code, retry: failure.kind, message: failure.message, ...(api?.issues ? { issues: api.issues } : {}) };
  res.status(status).json(body);
}

/** The last middleware: the protocol's failures keep their code; body-parser's own errors map to theirs. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  const warnUnavailable = foldedWarning(logger, 'redis unavailable: answered 503');
  return (error: unknown, req, res, _next) => {
    if (res.headersSent) return;
    if (error instanceof ApiError) return sendError(res, error);
    const status = (error as { status?: number; type?: string }).status;
    const type = (error as { type?: string }).type;
    if (status === 413 || type === 'entity.too.large') {
      return sendError(res, new ApiError('request.too_large', 'the request body is larger than 256 KiB'));
    }
    if (type === 'entity.parse.failed') return sendError(res, new ApiError('request.invalid_json', 'the request body is not valid JSON'));
    if (status === 415 || type === 'encoding.unsupported') {
      return sendError(res, new ApiError('request.unsupported_media_type', `${(error as Error).message}: send the body as it is, or gzip, deflate or br`));
    }
    if (status === 400 && req.get('content-encoding')) {
      return sendError(res, new ApiError('request.invalid', `the body does not decode as Content-Encoding ${req.get('content-encoding')}`, { issues: [{ path: 'Content-Encoding', message: 'the body does not decode with it' }] }));
    }
    if (status !== undefined && status >= 400 && status < 500) {
      return sendError(res, new ApiError('request.invalid', (error as Error).message));
    }
    const failure = failureOf(error);
    if (failure?.code === 'redis.unavailable') {
      const cause = failure instanceof Error && failure.cause !== undefined ? failure.cause : error;
      warnUnavailable({ error: (cause as Error).name, code: (cause as NodeJS.ErrnoException).code, path: req.path });
      return sendError(res, storeUnavailable());
    }
    if (failure !== undefined) return sendError(res, failure);
    logger.error({ err: error, path: req.path }, 'unhandled API error');
    sendError(res, new ApiError('internal', 'internal error'));
  };
}

/** Seconds a client is asked to wait before retrying after a 503. */
export const RETRY_AFTER_SECONDS = 5;

/** The 503 of the API: Redis is unreachable or went away, or the request ran out of its deadline. */
export const storeUnavailable = (): ApiError =>
  new ApiError('redis.unavailable', 'the watch store is unavailable; retry later', { retryAfterMs: RETRY_AFTER_SECONDS * 1_000 });

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
