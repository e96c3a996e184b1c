import { SourceError } from '../source-error.js';
import type { SourceHttpClient } from '../http/source-http-client.js';
import { parseHuntingResponse, type HuntingResponse } from './parse.js';
import type { TokenProvider } from './token.js';

export interface HuntingClient {
  /** Runs one KQL query through Graph `runHuntingQuery`; `timeoutMs` replaces the source's per-request timeout. */
  run(query: string, timespan: string, signal?: AbortSignal, timeoutMs?: number): Promise<HuntingResponse>;
}

export function createHuntingClient(options: { sourceId: string; http: SourceHttpClient; tokens: TokenProvider }): HuntingClient {
  const { sourceId, http, tokens } = options;
  return {
    async run(query, timespan, signal, timeoutMs) {
      // A 401 usually means the cached token was revoked or expired early: one retry with a fresh token.
      for (let attempt = 1; ; attempt += 1) {
        const token = await tokens.getToken(signal);
        try {
          const response = await http.request<unknown>({
            method: 'POST',
            url: '/v1.0/security/runHuntingQuery',
            headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json; charset=utf-8' },
            data: { Query: query, Timespan: timespan },
            signal,
            ...(timeoutMs === undefined ? {} : { timeout: timeoutMs }),
          });
          return parseHuntingResponse(sourceId, response.data);
        } catch (error) {
          if (!(error instanceof SourceError) || error.status !== 401) throw error;
          tokens.invalidate(token);
          // Classified terminal already: a second refusal is not a stale token.
          if (attempt >= 2) throw error;
        }
      }
    },
  };
}
