import { createHash } from 'node:crypto';

/** Keys that change how, not what, a source is read; and credentials, which must never reach a Redis key or record. */
const NOT_WHAT_IS_READ = new Set(['rate_limit_per_minute', 'max_hosts_per_query', 'timeout', 'max_retries', 'lookback']);
const CREDENTIAL = /secret|token|password|api_key|private_key|passphrase/i;

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !CREDENTIAL.test(key))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, inner]) => [key, canonical(inner)]),
  );
}

/**
 * A short digest of what a source's configuration makes it read (its URL, indices, query settings, caps), so that
 * rows cached under one configuration are never served after it changes. Credentials and pacing are left out: a
 * rotated secret or a new rate limit reads the same rows.
 */
export function sourceFingerprint(source: Readonly<Record<string, unknown>>): string {
  const relevant = Object.fromEntries(Object.entries(source).filter(([key]) => !NOT_WHAT_IS_READ.has(key)));
  return createHash('sha256').update(JSON.stringify(canonical(relevant))).digest('hex').slice(0, 16);
}
