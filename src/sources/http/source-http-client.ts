import axios, { type AxiosRequestConfig, type AxiosResponse } from 'axios';
import type { Logger } from 'pino';
import { SourceError } from '../source-error.js';
import { abortableDelay } from './abort.js';
import { classifyRequestError, classifyStatus, invalidJsonBody, parseJsonBody, type VendorErrorReader } from './classify.js';
import { decodeUtf8, type RepairCallback } from '../well-formed.js';
import type { RequestBudget } from './request-budget.js';
import { backoffDelayMs, retryAfterHint, type RetryHint } from './retry-policy.js';

export interface SourceHttpClientOptions {
  /** The configured source id; it names the source in every error and log line. */
  sourceId: string;
  baseURL: string;
  /** Per-attempt timeout. */
  timeoutMs: number;
  /** Retries after the first attempt, for retryable and rate_limited failures. */
  maxRetries: number;
  /** Taken once per attempt, retries included. */
  budget: RequestBudget;
  logger: Logger;
  /** A server asking for a longer wait than this fails the call at once as rate_limited. Default 120 s. */
  maxRetryAfterMs?: number;
  /** Where the vendor says how long to wait. Default: `Retry-After`. */
  retryHint?: RetryHint;
  /** The vendor's error envelope and throttle signals on non-2xx answers. Default: the generic JSON envelopes. */
  vendorError?: VendorErrorReader;
  /** Told how many invalid UTF-8 sequences a body held (each replaced with U+FFFD as it is decoded). */
  onRepair?: RepairCallback;
}

export interface RequestOptions<T> {
  /**
   * For bodies the default JSON read does not suit (PAN-OS XML, a 204, digits a double cannot hold): reads the 2xx
   * body text and status. A `SourceError` it throws is handled like a failed attempt, so a `retryable` one (a cut or
   * unreadable body) is retried with backoff.
   */
  parse?: (body: string, status: number) => T;
}

export interface SourceHttpClient {
  /**
   * Sends the request with retries and returns the 2xx response, its body parsed as JSON unless
   * `responseType` asks for something else. Failures are `SourceError`s; an aborted `signal` rejects
   * with the signal's reason.
   */
  request<T>(config: AxiosRequestConfig, options?: RequestOptions<T>): Promise<AxiosResponse<T>>;
}

const expectsJson = (config: AxiosRequestConfig) => config.responseType === undefined || config.responseType === 'json';

/** The path only: query strings can carry keys and tokens. */
const pathOf = (url: string | undefined) => (url ?? '').split('?')[0];

export function createSourceHttpClient(options: SourceHttpClientOptions): SourceHttpClient {
  const { sourceId, budget, logger, maxRetries } = options;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 120_000;
  const retryHint = options.retryHint ?? retryAfterHint;
  const classify = { retryHint, vendorError: options.vendorError };
  // One instance per source. Status and JSON handling stay here, so every connector classifies alike.
  const instance = axios.create({
    baseURL: options.baseURL,
    timeout: options.timeoutMs,
    maxRedirects: 0,
    // Bodies are read as bytes and decoded here, so invalid UTF-8 is counted, not only replaced.
    responseType: 'arraybuffer',
    transformResponse: [(data: unknown) => data],
    validateStatus: () => true,
    headers: { Accept: 'application/json' },
  });

  function textOf(data: unknown): unknown {
    if (!(data instanceof Uint8Array)) return data;
    const { value, replaced } = decodeUtf8(data);
    if (replaced > 0) options.onRepair?.({ source: sourceId, method: 'utf8', replaced });
    return value;
  }

  async function attempt(
    config: AxiosRequestConfig,
    signal: AbortSignal | undefined,
    parse: ((body: string, status: number) => unknown) | undefined,
  ): Promise<AxiosResponse> {
    let response: AxiosResponse<unknown>;
    try {
      const asText = parse !== undefined || expectsJson(config) || config.responseType === 'text';
      response = await instance.request<unknown>({ ...config, responseType: asText ? 'arraybuffer' : config.responseType });
      if (asText) response = { ...response, data: textOf(response.data) };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw classifyRequestError(sourceId, error, classify);
    }
    if (response.status < 200 || response.status > 299) {
      throw classifyStatus(sourceId, response, classify);
    }
    if (parse) return { ...response, data: parse(typeof response.data === 'string' ? response.data : '', response.status) };
    if (!expectsJson(config)) return response;
    if (typeof response.data !== 'string') throw invalidJsonBody(sourceId, response.status);
    return { ...response, data: parseJsonBody(sourceId, response.status, response.data) };
  }

  return {
    async request<T>(config: AxiosRequestConfig, requestOptions: RequestOptions<T> = {}): Promise<AxiosResponse<T>> {
      const signal = config.signal instanceof AbortSignal ? config.signal : undefined;
      for (let retry = 0; ; retry += 1) {
        await budget.acquire(signal);
        let failure: SourceError;
        try {
          return (await attempt(config, signal, requestOptions.parse)) as AxiosResponse<T>;
        } catch (error) {
          if (!(error instanceof SourceError)) throw error;
          failure = error;
        } finally {
          budget.settled?.();
        }
        if (failure.kind === 'terminal' || retry >= maxRetries) throw failure;
        const asked = failure.retryAfterMs;
        if (asked !== undefined && asked > maxRetryAfterMs) {
          const message = `HTTP ${failure.status ?? '?'}: the vendor asked to wait ${asked} ms, longer than the ${maxRetryAfterMs} ms this client waits`;
          throw new SourceError('rate_limited', sourceId, message, { status: failure.status, retryAfterMs: asked });
        }
        const waitMs = asked ?? backoffDelayMs(retry + 1);
        logger.warn(
          {
            source: sourceId,
            attempt: retry + 1,
            max_retries: maxRetries,
            kind: failure.kind,
            status: failure.status,
            wait_ms: waitMs,
            method: (config.method ?? 'get').toUpperCase(),
            path: pathOf(config.url),
          },
          'vendor request failed, retrying',
        );
        await abortableDelay(waitMs, signal);
      }
    },
  };
}
