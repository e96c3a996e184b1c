import type { ErrorRequestHandler, Response } from 'express';
import * as z from 'zod';
import { FailureCodeSchema, OperationalError, RetryClassSchema, type Failure, type FailureCode, type RetryClass } from '../lib/failure.js';
import { failureOf } from '../lib/failure-of.js';
import type { Logger } from '../lib/logger.js';

/** The one mapping of failure codes onto HTTP statuses. Source and Slack failures reach no client: a 502 if one ever did. */
export const HTTP_STATUS: Readonly<Record<FailureCode, number>> = {
  'source.credentials_rejected': 502,
  'source.forbidden': 502,
  'source.query_rejected': 502,
  'source.bad_response': 502,
  'source.misconfigured': 502,
  'source.rate_limited': 502,
  'source.unavailable': 502,
  'slack.channel_not_found': 502,
  'slack.not_in_channel': 502,
  'slack.no_channel': 502,
  'slack.credentials_rejected': 502,
  'slack.rejected': 502,
  'slack.rate_limited': 502,
  'slack.unavailable': 502,
  'redis.unavailable': 503,
  'watch.not_found': 404,
  'watch.closed': 409,
  'watch.request_rejected': 400,
  'request.invalid': 400,
  'request.invalid_json': 400,
  'request.unauthorized': 401,
  'request.not_found': 404,
  'request.too_large': 413,
  'request.unsupported_media_type': 415,
  'request.rate_limited': 429,
  internal: 500,
};

export const FieldIssueSchema = z.object({ path: z.string(), message: z.string() });
export type FieldIssue = z.infer<typeof FieldIssueSchema>;

/** Every error answer of the API: clients branch on `error.code` and `error.retry`, humans read `error.message`. */
export const ApiErrorBodySchema = z.object({
  error: z.object({
    code: FailureCodeSchema,
    retry: RetryClassSchema,
    message: z.string(),
    issues: z.array(FieldIssueSchema).optional(),
  }),
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
    return HTTP_STATUS[this.code];
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
  return new ApiError('request.invalid', summary, { issues });
}

/** Answers `failure` with the status of its code; a wait it asks for becomes `Retry-After`. */
export function sendError(res: Response, failure: Failure): void {
  const api = failure instanceof ApiError ? failure : undefined;
  for (const [name, value] of Object.entries(api?.headers ?? {})) res.setHeader(name, value);
  if (failure.kind !== 'terminal' && failure.retryAfterMs !== undefined) res.setHeader('Retry-After', String(Math.ceil(failure.retryAfterMs / 1_000)));
  const body: ApiErrorBody = {
    error: { code: failure.code, retry: failure.kind, message: failure.message, ...(api?.issues ? { issues: api.issues } : {}) },
  };
  res.status(HTTP_STATUS[failure.code]).json(body);
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
