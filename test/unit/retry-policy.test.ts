import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backoffDelayMs,
  epochSecondsHint,
  firstRetryHint,
  headerValue,
  parseRetryAfter,
  retryAfterHint,
} from '../../src/sources/http/retry-policy.js';

const NOW = Date.parse('2026-11-27T10:00:00Z');

describe('backoffDelayMs (full jitter, base 500 ms, cap 30 s)', () => {
  it('doubles the ceiling per retry from 500 ms', () => {
    const justBelowOne = () => 1 - Number.EPSILON;
    expect([1, 2, 3, 4].map((retry) => backoffDelayMs(retry, { random: justBelowOne }))).toEqual([499, 999, 1_999, 3_999]);
  });

  it('never exceeds the 30 s cap, however many retries', () => {
    expect(backoffDelayMs(50, { random: () => 0.999999 })).toBe(29_999);
    expect(backoffDelayMs(1_000_000, { random: () => 0.5 })).toBe(15_000);
  });

  it('can wait nothing at all: the jitter is full, not equal', () => {
    expect(backoffDelayMs(7, { random: () => 0 })).toBe(0);
  });

  it('stays within [0, min(cap, base * 2^(retry-1))) for any random draw', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (retry, draw) => {
        const delay = backoffDelayMs(retry, { random: () => draw });
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(Math.min(30_000, 500 * 2 ** (retry - 1)));
        expect(Number.isInteger(delay)).toBe(true);
      }),
    );
  });

  it('honours custom base and cap', () => {
    expect(backoffDelayMs(3, { baseMs: 100, capMs: 250, random: () => 0.5 })).toBe(125);
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('1', NOW)).toBe(1_000);
    expect(parseRetryAfter(' 120 ', NOW)).toBe(120_000);
    expect(parseRetryAfter('0', NOW)).toBe(0);
  });

  it('reads an HTTP-date relative to now', () => {
    expect(parseRetryAfter('Fri, 27 Nov 2026 10:00:30 GMT', NOW)).toBe(30_000);
  });

  it('treats a date already past as no wait', () => {
    expect(parseRetryAfter('Fri, 27 Nov 2026 09:59:00 GMT', NOW)).toBe(0);
  });

  it('ignores values that are neither', () => {
    for (const value of [undefined, '', 'soon', '-5', '1e3', '12abc']) expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });
});

describe('retry hints from headers', () => {
  it('finds Retry-After whatever its case, and takes the first of repeated values', () => {
    expect(retryAfterHint({ 'retry-after': '2' }, NOW)).toBe(2_000);
    expect(retryAfterHint({ 'Retry-After': ['3', '9'] }, NOW)).toBe(3_000);
    expect(retryAfterHint({ 'content-type': 'application/json' }, NOW)).toBeUndefined();
  });

  it('reads an epoch-seconds header such as X-RateLimit-RetryAfter', () => {
    const hint = epochSecondsHint('X-RateLimit-RetryAfter');
    expect(hint({ 'x-ratelimit-retryafter': String(NOW / 1_000 + 7) }, NOW)).toBe(7_000);
    expect(hint({ 'x-ratelimit-retryafter': String(NOW / 1_000 - 7) }, NOW)).toBe(0);
    expect(hint({ 'x-ratelimit-retryafter': 'later' }, NOW)).toBeUndefined();
  });

  it('combines hints, first answer wins', () => {
    const hint = firstRetryHint(epochSecondsHint('x-ratelimit-retryafter'), retryAfterHint);
    expect(hint({ 'retry-after': '4' }, NOW)).toBe(4_000);
    expect(hint({ 'retry-after': '4', 'x-ratelimit-retryafter': String(NOW / 1_000 + 1) }, NOW)).toBe(1_000);
    expect(hint({}, NOW)).toBeUndefined();
  });

  it('reads numeric header values as text', () => {
    expect(headerValue({ 'Retry-After': 5 }, 'retry-after')).toBe('5');
  });
});
