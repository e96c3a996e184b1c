import type { AxiosRequestConfig, AxiosResponse } from 'axios';
import { SourceError } from '../source-error.js';
import type { SourceHttpClient } from '../http/source-http-client.js';
import type { FalconRateGate } from './rate-limit.js';
import type { TokenProvider } from './token.js';

export interface FalconApi {
  /** An authorized call to the Falcon gateway; a 401 gets one retry with a fresh token. */
  request<T>(config: AxiosRequestConfig & { signal?: AbortSignal }): Promise<AxiosResponse<T>>;
}

export function createFalconApi(options: { http: SourceHttpClient; tokens: TokenProvider; gate: FalconRateGate }): FalconApi {
  const { http, tokens, gate } = options;
  return {
    async request<T>(config: AxiosRequestConfig & { signal?: AbortSignal }): Promise<AxiosResponse<T>> {
      for (let attempt = 1; ; attempt += 1) {
        const token = await tokens.getToken(config.signal);
        try {
          const response = await http.request<T>({ ...config, headers: { ...config.headers, Authorization: `Bearer ${token}` } });
          gate.observe(response.headers);
          return response;
        } catch (error) {
          if (!(error instanceof SourceError)) throw error;
          if (error.kind === 'rate_limited' && error.retryAfterMs !== undefined) gate.pauseFor(error.retryAfterMs);
          if (error.status !== 401) throw error;
          // A 401 usually means the cached token expired or was revoked early; a second one is not a stale token.
          tokens.invalidate(token);
          if (attempt >= 2) throw error;
        }
      }
    },
  };
}
