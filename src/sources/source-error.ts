import { OperationalError, type FailureCode, type RetryClass } from '../lib/failure.js';

/**
 * How a failed vendor call should be handled, decided once in the shared HTTP client:
 * - `retryable`: 5xx, timeouts, connection resets, truncated bodies; try again with backoff.
 * - `rate_limited`: 429 (or a vendor's equivalent); wait `retryAfterMs` before the next call.
 * - `terminal`: bad credentials, forbidden, a rejected query, a body that is not what the vendor documents;
 *   retrying cannot help, a human must act.
 */
export type SourceErrorKind = RetryClass;

export interface SourceErrorDetails {
  status?: number | undefined;
  retryAfterMs?: number | undefined;
  cause?: unknown;
  /** Given where the status alone does not say it (an OAuth `invalid_client`, a host that does not resolve). */
  code?: FailureCode | undefined;
}

/** A terminal answer's code by its HTTP status; a terminal failure without one is a body we cannot use. */
const TERMINAL_CODE_BY_STATUS: Readonly<Record<number, FailureCode>> = {
  400: 'source.query_rejected',
  401: 'source.credentials_rejected',
  403: 'source.forbidden',
  404: 'source.query_rejected',
  422: 'source.query_rejected',
};

export function sourceFailureCode(kind: SourceErrorKind, status: number | undefined): FailureCode {
  if (kind === 'rate_limited') return 'source.rate_limited';
  if (kind === 'retryable') return 'source.unavailable';
  return (status === undefined ? undefined : TERMINAL_CODE_BY_STATUS[status]) ?? 'source.bad_response';
}

export class SourceError extends OperationalError {
  override readonly name = 'SourceError';

  constructor(
    kind: SourceErrorKind,
    /** The configured source id, so every message names the source. */
    readonly source: string,
    message: string,
    readonly details: SourceErrorDetails = {},
  ) {
    super(details.code ?? sourceFailureCode(kind, details.status), kind, `${source}: ${message}`, {
      retryAfterMs: details.retryAfterMs,
      cause: details.cause,
    });
  }

  get status(): number | undefined {
    return this.details.status;
  }
}
