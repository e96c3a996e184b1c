import type { Logger } from 'pino';
import type * as z from 'zod';
import type { SourceHttpClient } from '../http/source-http-client.js';
import { parseJsonBody } from '../http/classify.js';
import { pollJob } from '../http/poll-job.js';
import { SourceError } from '../source-error.js';
import { CreateJobResponseSchema, JobStatusSchema, ResultsPageSchema, parseBody, parseRows, type JobStatus } from './parse.js';
import { epochSeconds } from './spl.js';

export interface SearchJobOptions {
  sourceId: string;
  http: SourceHttpClient;
  logger: Logger;
  /** `Bearer <token>` or `Splunk <session key>`. */
  authorization: string;
  apiVersion: 'v1' | 'v2';
  pageSize: number;
  /** Splunk's cap on a job's results (limits.conf `maxresultrows`). */
  maxResults: number;
  pollIntervalMs: number;
  jobTimeoutMs: number;
  /** Per-request timeout, also the budget for the clean-up request after an abort. */
  requestTimeoutMs: number;
}

export interface SearchRun<S extends z.ZodType> {
  spl: string;
  range: { from: Date; to: Date };
  rowSchema: S;
  /** What a job at Splunk's result cap means: `fail` the poll, or `cut` (keep what there is, log a warning). */
  atCap: 'fail' | 'cut';
  signal?: AbortSignal;
  /** Replaces `jobTimeoutMs` for this search. */
  timeoutMs?: number;
}

export interface SearchRows<T> {
  rows: T[];
  /** The job reached Splunk's result cap and `atCap` was `cut`: rows may be missing. */
  cut: boolean;
}

export interface SearchJobs {
  /** Runs one search over [from, to) as a job, reads every result row through `rowSchema`, and deletes the job. */
  run<S extends z.ZodType>(search: SearchRun<S>): Promise<SearchRows<z.output<S>>>;
}

/** `dispatchState` values after which the job will not change (Splunk also reports PAUSED, which a user resumes). */
const DONE = 'DONE';
const FAILED = 'FAILED';

export function createSearchJobs(options: SearchJobOptions): SearchJobs {
  const { sourceId, http, logger } = options;
  const jobsPath = `/services/search/${options.apiVersion === 'v2' ? 'v2/' : ''}jobs`;
  const headers = { Authorization: options.authorization };
  const jobPath = (sid: string) => `${jobsPath}/${encodeURIComponent(sid)}`;

  async function create(spl: string, range: { from: Date; to: Date }, signal?: AbortSignal): Promise<string> {
    const form = new URLSearchParams({
      search: spl,
      earliest_time: epochSeconds(range.from),
      latest_time: epochSeconds(range.to),
      exec_mode: 'normal',
      output_mode: 'json',
    });
    const response = await http.request<unknown>({
      method: 'POST',
      url: jobsPath,
      headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' },
      data: form.toString(),
      signal,
    });
    return parseBody(sourceId, 'search job creation', CreateJobResponseSchema, response.data).sid;
  }

  /** The job once it is DONE; undefined while it is queued or running. */
  async function status(sid: string, signal?: AbortSignal): Promise<JobStatus | undefined> {
    const what = 'search job status';
    const response = await http.request<unknown>(
      { method: 'GET', url: jobPath(sid), params: { output_mode: 'json' }, headers, signal },
      // splunkd answers 204 No Content for a job not ready yet (queued, parsing); the Splunk SDK's Job.is_ready too.
      { parse: (body, status) => (status === 204 || body.trim() === '' ? undefined : parseJsonBody(sourceId, status, body)) },
    );
    if (response.data === undefined) return undefined;
    const job = parseBody(sourceId, what, JobStatusSchema, response.data);
    if (job.dispatchState === FAILED) {
      const messages = (job.messages ?? []).map((message) => message.text).join('; ') || 'no message';
      throw new SourceError('terminal', sourceId, `search job ${sid} failed: ${messages}`);
    }
    return job.dispatchState === DONE ? job : undefined;
  }

  async function results<S extends z.ZodType>(sid: string, job: JobStatus, rowSchema: S, signal?: AbortSignal): Promise<z.output<S>[]> {
    const rows: z.output<S>[] = [];
    const count = options.pageSize;
    // resultCount bounds the paging; without it a server that keeps answering full pages stops at this many.
    const maxPages = job.resultCount === undefined ? 1_000 : Math.ceil(job.resultCount / count) + 1;
    for (let page = 0; page < maxPages; page += 1) {
      const offset = page * count;
      if (job.resultCount !== undefined && offset >= job.resultCount && page > 0) break;
      const response = await http.request<unknown>({
        method: 'GET',
        url: `${jobPath(sid)}/results`,
        params: { output_mode: 'json', offset, count },
        headers,
        signal,
      });
      const body = parseBody(sourceId, 'search results', ResultsPageSchema, response.data);
      rows.push(...parseRows(sourceId, rowSchema, body.results, offset));
      if (body.results.length < count) return rows;
    }
    if (job.resultCount === undefined) {
      throw new SourceError('terminal', sourceId, `search job ${sid} kept returning full pages after ${maxPages} pages; paging stopped`);
    }
    return rows;
  }

  /** Best effort: a job left behind only costs disk until its TTL; failing to delete it must not fail the poll. */
  async function remove(sid: string, signal?: AbortSignal): Promise<void> {
    const cleanupSignal = signal?.aborted ? AbortSignal.timeout(options.requestTimeoutMs) : signal;
    try {
      await http.request<unknown>({ method: 'DELETE', url: jobPath(sid), params: { output_mode: 'json' }, headers, signal: cleanupSignal });
    } catch (error) {
      logger.warn({ source: sourceId, sid, error: error instanceof Error ? error.message : String(error) }, 'search job not deleted');
    }
  }

  /** Whether the job was cut at the cap (and `atCap` allows keeping what there is). */
  function checkCap(sid: string, job: JobStatus, atCap: 'fail' | 'cut'): boolean {
    if (job.resultCount === undefined || job.resultCount < options.maxResults) return false;
    if (atCap === 'fail') {
      throw new SourceError(
        'terminal',
        sourceId,
        `search job ${sid} reached ${job.resultCount} results, Splunk's cap (max_results): some may be missing; lower max_hosts_per_query or lookback`,
      );
    }
    logger.warn({ source: sourceId, sid, results: job.resultCount }, 'search reached the result cap; its answer may be incomplete');
    return true;
  }

  return {
    async run({ spl, range, rowSchema, atCap, signal, timeoutMs = options.jobTimeoutMs }) {
      const sid = await create(spl, range, signal);
      try {
        const job = await pollJob({
          sourceId,
          what: `search job ${sid}`,
          check: () => status(sid, signal),
          intervalMs: options.pollIntervalMs,
          timeoutMs,
          signal,
        });
        const cut = checkCap(sid, job, atCap);
        return { rows: await results(sid, job, rowSchema, signal), cut };
      } finally {
        await remove(sid, signal);
      }
    },
  };
}
