import { webApi } from '@slack/bolt';
import { OperationalError, type FailureCode } from '../../lib/failure.js';

/**
 * Slack platform errors after which it is unknown whether the call took effect. Slack documents both as "it's possible
 * some aspect of the operation succeeded before the error was raised".
 */
const AMBIGUOUS_PLATFORM_ERRORS = new Set(['internal_error', 'fatal_error']);
const RETRYABLE_PLATFORM_ERRORS = new Set([...AMBIGUOUS_PLATFORM_ERRORS, 'service_unavailable', 'request_timeout', 'ratelimited']);
const CHANNEL_ERRORS = new Set(['channel_not_found', 'not_in_channel']);

/** Slack's errors that say the bot token itself is refused; every later call would be refused alike. */
const CREDENTIAL_ERRORS = new Set(['invalid_auth', 'not_authed', 'token_revoked', 'token_expired', 'account_inactive']);

/** The protocol's code of one of Slack's error strings (or our `http_<status>`, `request_failed`, `rate_limited`, `no_channel`). */
export function slackFailureCode(slackError: string, retryable: boolean): FailureCode {
  if (slackError === 'channel_not_found') return 'slack.channel_not_found';
  if (slackError === 'not_in_channel') return 'slack.not_in_channel';
  if (slackError === 'no_channel') return 'slack.no_channel';
  if (slackError === 'rate_limited' || slackError === 'ratelimited') return 'slack.rate_limited';
  if (CREDENTIAL_ERRORS.has(slackError)) return 'slack.credentials_rejected';
  return retryable ? 'slack.unavailable' : 'slack.rejected';
}

/**
 * A Slack call that failed. `slackError` is Slack's error string (`invalid_blocks`, `channel_not_found`), or
 * `http_<status>`, `request_failed`, `rate_limited`, `no_channel`; `code` is the protocol's (`slack.channel_not_found`).
 * `retryable` false means another attempt cannot help: the job layer fails the job for good.
 */
export class SlackDeliveryError extends OperationalError {
  override readonly name = 'SlackDeliveryError';
  readonly method: string;
  readonly slackError: string;
  readonly watchId: string;

  constructor(
    message: string,
    details: { method: string; code: string; retryable: boolean; watchId: string; cause?: unknown; retryAfterMs?: number },
  ) {
    const code = slackFailureCode(details.code, details.retryable);
    const kind = !details.retryable ? 'terminal' : code === 'slack.rate_limited' ? 'rate_limited' : 'retryable';
    super(code, kind, message, { cause: details.cause, retryAfterMs: details.retryAfterMs });
    this.method = details.method;
    this.slackError = details.code;
    this.watchId = details.watchId;
  }

  get retryable(): boolean {
    return this.kind !== 'terminal';
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
      retryAfterMs: error.retryAfter * 1_000,
    });
  }
  if (error instanceof webApi.WebAPIRequestError) {
    return new SlackDeliveryError(`${where}: ${error.original.message}`, { method, code: 'request_failed', retryable: true, watchId, cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new SlackDeliveryError(`${where}: ${message}`, { method, code: 'unexpected', retryable: true, watchId, cause: error });
}
