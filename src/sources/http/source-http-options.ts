import { durationMs, type SourceCommonConfig } from '../source-config.js';
import type { ConnectorDeps } from '../types.js';
import { unlimitedBudget } from './request-budget.js';
import type { SourceHttpClientOptions } from './source-http-client.js';

/** The HTTP client options every source config gives: its id, base URL, timeout, retries, budget, logger, repair count. */
export function sourceHttpOptions(config: SourceCommonConfig, deps: ConnectorDeps): SourceHttpClientOptions {
  return {
    sourceId: config.id,
    baseURL: config.base_url,
    timeoutMs: durationMs(config.timeout),
    maxRetries: config.max_retries,
    budget: deps.budget ?? unlimitedBudget,
    logger: deps.logger,
    ...(deps.onRepair ? { onRepair: deps.onRepair } : {}),
  };
}
