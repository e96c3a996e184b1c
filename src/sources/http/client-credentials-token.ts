import * as z from 'zod';
import { SourceError } from '../source-error.js';
import { raceAbort } from './abort.js';
import type { SourceHttpClient } from './source-http-client.js';

export interface TokenProvider {
  /** A valid access token, from cache or from one shared request. */
  getToken(signal?: AbortSignal): Promise<string>;
  /** Drops `token` if it is still the cached one (the API refused it); a newer token is kept. */
  invalidate(token: string): void;
}

/** `expires_in` in seconds: a number in most answers, a string from Entra v1 and some proxies. */
export const expiresInSeconds = z.union([z.number().int().positive(), z.string().regex(/^\d+$/).transform(Number)]);

/** What a vendor's token endpoint must answer with; each vendor adds its own checks (`token_type`). */
export type TokenResponseSchema = z.ZodType<{ access_token: string; expires_in: number }, unknown>;

export interface ClientCredentialsTokenOptions {
  sourceId: string;
  /** Client for the token endpoint's host; it should not spend the data budget. */
  http: SourceHttpClient;
  /** Path of the token endpoint, relative to the client's base URL. */
  url: string;
  /** The form fields of the vendor's client-credentials request, in order. */
  form: Readonly<Record<string, string>>;
  response: TokenResponseSchema;
  now?: () => number;
}

/** Refresh this long before expiry, or at half the lifetime for short-lived tokens. */
const REFRESH_MARGIN_MS = 5 * 60_000;

/** OAuth2 client credentials, cached in memory and fetched single-flight. */
export function createClientCredentialsTokenProvider(options: ClientCredentialsTokenOptions): TokenProvider {
  const now = options.now ?? Date.now;
  let cached: { value: string; refreshAt: number } | undefined;
  let pending: Promise<string> | undefined;

  async function fetchToken(): Promise<string> {
    const requestedAt = now();
    const response = await options.http.request<unknown>({
      method: 'POST',
      url: options.url,
      data: new URLSearchParams(options.form).toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    const parsed = options.response.safeParse(response.data);
    if (!parsed.success) {
      const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(body)'))].join(', ');
      throw new SourceError('terminal', options.sourceId, `token endpoint answered without a usable token (${fields})`);
    }
    const lifetimeMs = parsed.data.expires_in * 1_000;
    cached = { value: parsed.data.access_token, refreshAt: requestedAt + lifetimeMs - Math.min(REFRESH_MARGIN_MS, lifetimeMs / 2) };
    return cached.value;
  }

  return {
    getToken(signal) {
      signal?.throwIfAborted();
      if (cached && now() < cached.refreshAt) return Promise.resolve(cached.value);
      pending ??= fetchToken().finally(() => {
        pending = undefined;
      });
      return raceAbort(pending, signal);
    },
    invalidate(token) {
      if (cached?.value === token) cached = undefined;
    },
  };
}
