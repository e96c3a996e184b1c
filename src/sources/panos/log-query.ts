import type { Logger } from 'pino';
import type { SourceHttpClient } from '../http/source-http-client.js';
import { pollJob } from '../http/poll-job.js';
import { EnqueueResultSchema, JobResultSchema, entriesOf, parseEntries, parseResult, type TrafficEntry } from './parse.js';
import { parsePanResponse, type PanResponse } from './xml-response.js';

export interface LogQueryOptions {
  sourceId: string;
  http: SourceHttpClient;
  logger: Logger;
  apiKey: string;
  pollIntervalMs: number;
  jobTimeoutMs: number;
  /** Per-request timeout, also the budget for the clean-up request after an abort. */
  requestTimeoutMs: number;
}

export interface LogQueries {
  /** One page of traffic logs matching `filter`, oldest first: `nlogs` entries after skipping `skip`. */
  page(filter: string, page: { nlogs: number; skip: number }, signal?: AbortSignal): Promise<TrafficEntry[]>;
}

/** Browsers and proxies cut URLs near 2 KB; PAN-OS takes the same parameters as a POST form beyond that. */
const MAX_QUERY_STRING = 1_900;
const FINISHED = 'FIN';

/**
 * Traffic-log queries as PAN-OS runs them: `type=log` enqueues a job, `action=get` polls it until FIN and returns
 * its logs (a job read to the end is deleted by the firewall), `action=finish` deletes a job given up on.
 */
export function createLogQueries(options: LogQueryOptions): LogQueries {
  const { sourceId, http, logger } = options;
  const headers = { 'X-PAN-KEY': options.apiKey, Accept: 'application/xml' };

  async function call(params: Record<string, string>, signal?: AbortSignal): Promise<PanResponse> {
    const form = new URLSearchParams(params).toString();
    const config =
      form.length > MAX_QUERY_STRING
        ? { method: 'POST', url: '/api/', data: form, headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' }, signal }
        : { method: 'GET', url: `/api/?${form}`, headers, signal };
    const response = await http.request<PanResponse>(config, { parse: (body) => parsePanResponse(sourceId, body) });
    return response.data;
  }

  async function finish(jobId: string, signal?: AbortSignal): Promise<void> {
    const cleanupSignal = signal?.aborted ? AbortSignal.timeout(options.requestTimeoutMs) : signal;
    try {
      await call({ type: 'log', action: 'finish', 'job-id': jobId }, cleanupSignal);
    } catch (error) {
      logger.warn({ source: sourceId, job_id: jobId, error: error instanceof Error ? error.message : String(error) }, 'log query job not finished');
    }
  }

  return {
    async page(filter, { nlogs, skip }, signal) {
      const enqueued = await call(
        { type: 'log', 'log-type': 'traffic', query: filter, nlogs: String(nlogs), skip: String(skip), dir: 'forward' },
        signal,
      );
      const jobId = parseResult(sourceId, 'log query', EnqueueResultSchema, enqueued.result).job;
      let read = false;
      try {
        const result = await pollJob({
          sourceId,
          what: `log query job ${jobId}`,
          check: async () => {
            const response = await call({ type: 'log', action: 'get', 'job-id': jobId }, signal);
            const job = parseResult(sourceId, `log query job ${jobId}`, JobResultSchema, response.result);
            return job.job.status === FINISHED ? job : undefined;
          },
          intervalMs: options.pollIntervalMs,
          timeoutMs: options.jobTimeoutMs,
          signal,
        });
        read = true;
        return parseEntries(sourceId, entriesOf(result), skip);
      } finally {
        if (!read) await finish(jobId, signal);
      }
    },
  };
}
