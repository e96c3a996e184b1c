import * as z from 'zod';
import { SourceError } from '../source-error.js';
import { raceAbort } from '../http/abort.js';
import type { SourceHttpClient } from '../http/source-http-client.js';

/** `POST /oauth2/token` answers 201 with `expires_in` in seconds (1799 for Falcon's 30-minute tokens). */
const TokenResponseSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.union([z.number().int().positive(), z.string().regex(/^\d+$/).transform(Number)]),
  token_type: z.string().regex(/^bearer$/i).optional(),
});

export interface TokenProvider {
  /** A valid access token, from cache or from one shared request. */
  getToken(signal?: AbortSignal): Promise<string>;
  /** Drops `token` if it is still the cached one (the API refused it); a newer token is kept. */
  invalidate(token: string): void;
}

export interface FalconTokenOptions {
  sourceId: string;
  /** A client for the API gateway that does not spend the request budget. */
  http: SourceHttpClient;
  clientId: string;
  clientSecret: string;
  memberCid?: string;
  now?: () => number;
}

/** Refresh this long before expiry, or at half the lifetime for short-lived tokens. */
const REFRESH_MARGIN_MS = 5 * 60_000;

/** OAuth2 client credentials against the Falcon gateway, cached in memory and fetched single-flight. */
export function createFalconTokenProvider(options: FalconTokenOptions): TokenProvider {
  const now = options.now ?? Date.now;
  let cached: { value: string; refreshAt: number } | undefined;
  let pending: Promise<string> | undefined;

  async function fetchToken(): Promise<string> {
    const form = new URLSearchParams({ client_id: options.clientId, client_secret: options.clientSecret });
    if (options.memberCid) form.set('member_cid', options.memberCid);
    const requestedAt = now();
    const response = await options.http.request<unknown>({
      method: 'POST',
      url: '/oauth2/token',
      data: form.toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    const parsed = TokenResponseSchema.safeParse(response.data);
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
