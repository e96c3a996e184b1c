import { abortableDelay } from '../http/abort.js';
import type { RequestBudget } from '../http/request-budget.js';
import { firstRetryHint, headerValue, retryAfterHint, type HeaderMap, type RetryHint } from '../http/retry-policy.js';

const EPOCH_MS_FROM = 1e12;
const EPOCH_S_FROM = 1e9;
/** Falcon's window is one sliding minute: a bare delay up to this is seconds, above it milliseconds. */
const LARGEST_DELAY_IN_SECONDS = 60;

/**
 * `X-RateLimit-RetryAfter`. The swagger calls it milliseconds since the epoch, PSFalcon and the JS SDK read it as
 * epoch seconds, and proxies have been seen sending a plain delay; all are read: >= 1e12 is epoch ms, >= 1e9
 * epoch seconds, a small number a delay in seconds, a larger one a delay in milliseconds. A past instant is 0.
 */
export function parseFalconRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  const text = value?.trim();
  if (text === undefined || !/^\d+(?:\.\d+)?$/.test(text)) return undefined;
  const number = Number(text);
  if (number >= EPOCH_MS_FROM) return Math.max(0, Math.ceil(number - nowMs));
  if (number >= EPOCH_S_FROM) return Math.max(0, Math.ceil(number * 1_000 - nowMs));
  return Math.ceil(number <= LARGEST_DELAY_IN_SECONDS ? number * 1_000 : number);
}

/** Falcon's own header first, then a standard `Retry-After` should a proxy in front of the gateway send one. */
export const falconRetryHint: RetryHint = firstRetryHint(
  (headers, nowMs) => parseFalconRetryAfter(headerValue(headers, 'x-ratelimit-retryafter'), nowMs),
  retryAfterHint,
);

/**
 * Wraps the source's request budget with what Falcon says about its own window: after an answer with
 * `X-RateLimit-Remaining: 0` the next request waits one slot of the window (60 s / `X-RateLimit-Limit`), and
 * after a 429 it waits the `X-RateLimit-RetryAfter` the gateway gave, so concurrent calls of this connector do
 * not all walk into the same 429.
 */
export class FalconRateGate implements RequestBudget {
  private pausedUntil = 0;

  constructor(
    private readonly inner: RequestBudget,
    private readonly now: () => number = Date.now,
  ) {}

  async acquire(signal?: AbortSignal): Promise<void> {
    const wait = this.pausedUntil - this.now();
    if (wait > 0) await abortableDelay(wait, signal);
    await this.inner.acquire(signal);
  }

  /** Reads the rate-limit headers of a successful answer. */
  observe(headers: HeaderMap): void {
    const remaining = Number(headerValue(headers, 'x-ratelimit-remaining'));
    const limit = Number(headerValue(headers, 'x-ratelimit-limit'));
    if (remaining === 0 && Number.isFinite(limit) && limit > 0) this.pauseFor(Math.ceil(60_000 / limit));
  }

  pauseFor(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
  }
}
