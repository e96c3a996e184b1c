/**
 * How a failed vendor call should be handled, decided once in the shared HTTP client:
 * - `retryable`: 5xx, timeouts, connection resets, truncated bodies; try again with backoff.
 * - `rate_limited`: 429 (or a vendor's equivalent); wait `retryAfterMs` before the next call.
 * - `terminal`: bad credentials, forbidden, a rejected query, a body that is not what the vendor documents;
 *   retrying cannot help, a human must act.
 */
export type SourceErrorKind = 'retryable' | 'rate_limited' | 'terminal';

export class SourceError extends Error {
  override readonly name = 'SourceError';

  constructor(
    readonly kind: SourceErrorKind,
    /** The configured source id, so every message names the source. */
    readonly source: string,
    message: string,
    readonly details: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(`${source}: ${message}`, { cause: details.cause });
  }

  get status(): number | undefined {
    return this.details.status;
  }

  get retryAfterMs(): number | undefined {
    return this.details.retryAfterMs;
  }
}
