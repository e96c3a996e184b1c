import * as z from 'zod';

/**
 * What another attempt can do about a failure:
 * - `retryable`: the same call may work soon (an outage, a timeout, a cut body); retry with backoff.
 * - `rate_limited`: the other side asked us to slow down; wait `retryAfterMs` (when it said) before the next call.
 * - `terminal`: retrying cannot help (a rejected credential, a missing channel, a request the product refuses); a
 *   human must act.
 */
export const RetryClassSchema = z.enum(['retryable', 'rate_limited', 'terminal']);
export type RetryClass = z.infer<typeof RetryClassSchema>;

/**
 * Every operational failure's stable code, `<area>.<what>`. Clients, logs, metrics and the table in docs/errors.md
 * branch on these; messages are for humans and may change.
 */
export const FailureCodeSchema = z.enum([
  'source.credentials_rejected',
  'source.forbidden',
  'source.query_rejected',
  'source.bad_response',
  'source.misconfigured',
  'source.rate_limited',
  'source.unavailable',
  'slack.channel_not_found',
  'slack.not_in_channel',
  'slack.no_channel',
  'slack.credentials_rejected',
  'slack.rejected',
  'slack.rate_limited',
  'slack.unavailable',
  'redis.unavailable',
  'watch.not_found',
  'watch.closed',
  'watch.request_rejected',
  'request.invalid',
  'request.invalid_json',
  'request.unauthorized',
  'request.replayed',
  'request.forbidden',
  'request.not_found',
  'request.too_large',
  'request.unsupported_media_type',
  'request.rate_limited',
  'internal',
]);
export type FailureCode = z.infer<typeof FailureCodeSchema>;

/** The protocol every operational error speaks: a stable code, a retry class, and how long to wait when asked. */
export interface Failure {
  readonly code: FailureCode;
  readonly kind: RetryClass;
  /** For `rate_limited` (and a retryable answer that said when): how long the other side asked us to wait. */
  readonly retryAfterMs?: number | undefined;
  readonly message: string;
}

/** Base of the product's own operational errors; errors of libraries are read with `failureOf`. */
export class OperationalError extends Error implements Failure {
  readonly retryAfterMs: number | undefined;

  constructor(
    readonly code: FailureCode,
    readonly kind: RetryClass,
    message: string,
    options: { retryAfterMs?: number | undefined; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** How a person reads a code on the status message and in `/readyz` ("mde-prod: credentials rejected since 09:12"). */
export const FAILURE_SUMMARY: Readonly<Record<FailureCode, string>> = {
  'source.credentials_rejected': 'credentials rejected',
  'source.forbidden': 'permission denied',
  'source.query_rejected': 'query rejected',
  'source.bad_response': 'unexpected answer',
  'source.misconfigured': 'misconfigured',
  'source.rate_limited': 'rate limited',
  'source.unavailable': 'unavailable',
  'slack.channel_not_found': 'channel not found',
  'slack.not_in_channel': 'not in channel',
  'slack.no_channel': 'no channel to post to',
  'slack.credentials_rejected': 'Slack token rejected',
  'slack.rejected': 'Slack refused the message',
  'slack.rate_limited': 'Slack rate limited',
  'slack.unavailable': 'Slack unavailable',
  'redis.unavailable': 'store unavailable',
  'watch.not_found': 'no such watch',
  'watch.closed': 'watch closed',
  'watch.request_rejected': 'request rejected',
  'request.invalid': 'invalid request',
  'request.invalid_json': 'invalid JSON',
  'request.unauthorized': 'unauthorized',
  'request.replayed': 'signature already used',
  'request.forbidden': 'scope missing',
  'request.not_found': 'not found',
  'request.too_large': 'request too large',
  'request.unsupported_media_type': 'unsupported media type',
  'request.rate_limited': 'too many requests',
  internal: 'internal error',
};
