import { webApi } from '@slack/bolt';

/**
 * Slack platform errors after which it is unknown whether the call took effect. Slack documents both as "it's possible
 * some aspect of the operation succeeded before the error was raised".
 */
const AMBIGUOUS_PLATFORM_ERRORS = new Set(['internal_error', 'fatal_error']);
const RETRYABLE_PLATFORM_ERRORS = new Set([...AMBIGUOUS_PLATFORM_ERRORS, 'service_unavailable', 'request_timeout', 'ratelimited']);
const CHANNEL_ERRORS = new Set(['channel_not_found', 'not_in_channel']);

/**
 * A Slack call that failed. `code` is Slack's error string (`invalid_blocks`, `channel_not_found`), or `http_<status>`,
 * `request_failed`, `rate_limited`, `no_channel`. `retryable` tells the job layer whether another attempt can help;
 * when it is false, map the job to BullMQ's `UnrecoverableError`.
 */
export class SlackDeliveryError extends Error {
  override readonly name = 'SlackDeliveryError';
  readonly method: string;
  readonly code: string;
  readonly retryable: boolean;
  readonly watchId: string;

  constructor(message: string, details: { method: string; code: string; retryable: boolean; watchId: string; cause?: unknown }) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.method = details.method;
    this.code = details.code;
    this.retryable = details.retryable;
    this.watchId = details.watchId;
  }
}

export const platformErrorCode = (error: unknown): string | undefined =>
  error instanceof webApi.WebAPIPlatformError ? error.data.error : undefined;

export const isChannelError = (error: unknown): boolean => CHANNEL_ERRORS.has(platformErrorCode(error) ?? '');

/**
 * True when a failed post may still have created the message: a 5xx, a network failure or timeout (the request may
 * have reached Slack), or one of Slack's "partly done" platform errors. A 429 or any other platform error is a
 * definite refusal.
 */
export function isAmbiguousFailure(error: unknown): boolean {
  if (error instanceof webApi.WebAPIHTTPError) return error.statusCode >= 500 || error.statusCode === 408;
  if (error instanceof webApi.WebAPIRequestError) return true;
  return AMBIGUOUS_PLATFORM_ERRORS.has(platformErrorCode(error) ?? '');
}

/** Wraps what the WebClient threw into one error type with a stable code; messages never contain the token. */
export function toDeliveryError(method: string, watchId: string, error: unknown): SlackDeliveryError {
  if (error instanceof SlackDeliveryError) return error;
  const where = `Slack ${method} failed for watch ${watchId}`;
  if (error instanceof webApi.WebAPIPlatformError) {
    const code = error.data.error;
    return new SlackDeliveryError(`${where}: ${code}`, { method, code, retryable: RETRYABLE_PLATFORM_ERRORS.has(code), watchId, cause: error });
  }
  if (error instanceof webApi.WebAPIHTTPError) {
    return new SlackDeliveryError(`${where}: HTTP ${error.statusCode}`, {
      method,
      code: `http_${error.statusCode}`,
      retryable: error.statusCode >= 500 || error.statusCode === 408,
      watchId,
      cause: error,
    });
  }
  if (error instanceof webApi.WebAPIRateLimitedError) {
    return new SlackDeliveryError(`${where}: still rate limited (retry after ${error.retryAfter}s)`, {
      method,
      code: 'rate_limited',
      retryable: true,
      watchId,
      cause: error,
    });
  }
  if (error instanceof webApi.WebAPIRequestError) {
    return new SlackDeliveryError(`${where}: ${error.original.message}`, { method, code: 'request_failed', retryable: true, watchId, cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new SlackDeliveryError(`${where}: ${message}`, { method, code: 'unexpected', retryable: true, watchId, cause: error });
}
