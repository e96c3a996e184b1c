/** Response headers as axios (or any HTTP client) hands them over; names are matched case-insensitively. */
export type HeaderMap = Readonly<Record<string, unknown>>;

/** Reads how long a vendor asks us to wait from its response headers; undefined when it says nothing usable. */
export type RetryHint = (headers: HeaderMap, nowMs: number) => number | undefined;

export interface BackoffOptions {
  /** First retry's ceiling. Default 500 ms. */
  baseMs?: number;
  /** Largest ceiling, whatever the retry number. Default 30 s. */
  capMs?: number;
  /** Uniform [0, 1) source. Default `Math.random`. */
  random?: () => number;
}

export const DEFAULT_BACKOFF_BASE_MS = 500;
export const DEFAULT_BACKOFF_CAP_MS = 30_000;

/**
 * Exponential backoff with full jitter: a uniform wait in [0, min(cap, base * 2^(retry-1))). Full jitter
 * spreads the retries of many workers hit by the same outage instead of having them retry in lockstep.
 * `retry` counts from 1 (the first retry).
 */
export function backoffDelayMs(retry: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? DEFAULT_BACKOFF_BASE_MS;
  const cap = options.capMs ?? DEFAULT_BACKOFF_CAP_MS;
  const random = options.random ?? Math.random;
  const exponent = Math.min(Math.max(retry, 1) - 1, 30);
  const ceiling = Math.min(cap, base * 2 ** exponent);
  return Math.floor(random() * ceiling);
}

/** Case-insensitive header lookup; a repeated header yields its first value. */
export function headerValue(headers: HeaderMap, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted) continue;
    const first: unknown = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') return first;
    if (typeof first === 'number') return String(first);
  }
  return undefined;
}

/**
 * `Retry-After` as delay-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT"), in ms from `nowMs`.
 * A date in the past means "now" (0). Anything else is undefined.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1_000);
  if (!/[a-z]/i.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** The standard `Retry-After` header (Graph, Entra, most REST APIs). */
export const retryAfterHint: RetryHint = (headers, nowMs) => parseRetryAfter(headerValue(headers, 'retry-after'), nowMs);

/** A header holding the epoch second at which the vendor lets us call again (e.g. `X-RateLimit-RetryAfter`). */
export const epochSecondsHint =
  (header: string): RetryHint =>
  (headers, nowMs) => {
    const text = headerValue(headers, header)?.trim();
    if (text === undefined || !/^\d+$/.test(text)) return undefined;
    return Math.max(0, Number(text) * 1_000 - nowMs);
  };

/** The first hint that has an answer, in order. */
export const firstRetryHint =
  (...hints: readonly RetryHint[]): RetryHint =>
  (headers, nowMs) => {
    for (const hint of hints) {
      const ms = hint(headers, nowMs);
      if (ms !== undefined) return ms;
    }
    return undefined;
  };
