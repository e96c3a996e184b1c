import type { Request, Response } from 'express';

/**
 * A failure a vendor fake answers its next data-API request with (never the auth endpoint), each in the vendor's
 * own shape. The conformance harness's `FakeVendor.failNext` takes these.
 */
export type VendorFailure =
  /** The vendor's own "bad credentials / token rejected" answer on a data call (401 or its equivalent). */
  | { kind: 'unauthorized' }
  /** The vendor's throttle answer, with its own retry hint header(s) saying `retryAfterSeconds`. */
  | { kind: 'rate_limited'; retryAfterSeconds: number }
  /** A 5xx (503 for Splunk's concurrency limit is fine). */
  | { kind: 'server_error' }
  /** No answer until the client gives up (hold the request longer than the configured 1 s timeout). */
  | { kind: 'timeout' }
  /** A 200 whose body is not what the vendor documents (HTML or unrelated JSON). */
  | { kind: 'garbage' }
  /** A 200 whose body is cut in the middle. */
  | { kind: 'truncated' };

/** The contract's six kinds, and one more for the JSON APIs. */
export type FakeFailure =
  | VendorFailure
  /** A 200 whose body is JSON, but not the shape the call documents. */
  | { kind: 'unexpected_json' };

/** How long a `timeout` failure holds the request: longer than any client timeout the tests configure. */
export const HANG_MS = 3_000;

/** Holds the request for `HANG_MS`, then sends the vendor's gateway-timeout answer unless the client has left. */
export function answerAfterHang(req: Request, res: Response, answer: () => void): void {
  setTimeout(() => {
    if (!res.headersSent && !req.socket.destroyed) answer();
  }, HANG_MS).unref();
}
