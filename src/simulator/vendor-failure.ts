/**
 * A failure a vendor fake answers its next data-API request with, each in the vendor's own shape (the same
 * union as the conformance harness's `VendorFailure`).
 */
export type VendorFailure =
  /** The vendor's "bad credentials" answer on a data call. */
  | { kind: 'unauthorized' }
  /** The vendor's throttle answer, with a retry hint of `retryAfterSeconds`. */
  | { kind: 'rate_limited'; retryAfterSeconds: number }
  /** A 5xx. */
  | { kind: 'server_error' }
  /** No answer until long after any client timeout. */
  | { kind: 'timeout' }
  /** A 200 whose body is not what the vendor documents (an HTML page). */
  | { kind: 'garbage' }
  /** A 200 whose body is cut in the middle. */
  | { kind: 'truncated' };

/** How long a `timeout` failure holds the request before giving up with a 504. */
export const HANG_MS = 3_000;
