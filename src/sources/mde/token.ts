import * as z from 'zod';
import { SourceError } from '../source-error.js';
import { raceAbort } from '../http/abort.js';
import type { SourceHttpClient } from '../http/source-http-client.js';

export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

/** Entra v2 answers `expires_in` as a number; v1 and some proxies as a string. */
const TokenResponseSchema = z.object({
  token_type: z.string().regex(/^bearer$/i),
  expires_in: z.union([z.number().int().positive(), z.string().regex(/^\d+$/).transform(Number)]),
  access_token: z.string().min(1),
});

export interface TokenProvider {
  /** A valid access token, from cache or from one shared request. */
  getToken(signal?: AbortSignal): Promise<string>;
  /** Drops `token` if it is still the cached one (the API refused it); a newer token is kept. */
  invalidate(token: string): void;
}

export interface ClientCredentialsOptions {
  sourceId: string;
  /** Client for the Entra authority (`token_url`). */
  http: SourceHttpClient;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Default: the Graph `.default` scope. */
  scope?: string;
  now?: () => number;
}

/** Refresh this long before expiry, or at half the lifetime for short-lived tokens. */
const REFRESH_MARGIN_MS = 5 * 60_000;

interface CachedToken {
  value: string;
  refreshAt: number;
}

/** OAuth2 client credentials against Entra, cached in memory and fetched single-flight. */
export function createClientCredentialsTokenProvider(options: ClientCredentialsOptions): TokenProvider {
  const now = options.now ?? Date.now;
  let cached: CachedToken | undefined;
  let pending: Promise<string> | undefined;

  async function fetchToken(): Promise<string> {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: options.clientId,
      client_secret: options.clientSecret,
      scope: options.scope ?? GRAPH_SCOPE,
    });
    const requestedAt = now();
    const response = await options.http.request<unknown>({
      method: 'POST',
      url: `/${encodeURIComponent(options.tenantId)}/oauth2/v2.0/token`,
      data: form.toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    const parsed = TokenResponseSchema.safeParse(response.data);
    if (!parsed.success) {
      const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(body)'))].join(', ');
      throw new SourceError('terminal', options.sourceId, `token endpoint answered without a usable token (${fields})`);
    }
    const lifetimeMs = parsed.data.expires_in * 1_000;
    cached = {
      value: parsed.data.access_token,
      refreshAt: requestedAt + lifetimeMs - Math.min(REFRESH_MARGIN_MS, lifetimeMs / 2),
    };
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
