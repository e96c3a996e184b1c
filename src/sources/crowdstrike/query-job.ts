import type { Logger } from 'pino';
import { SourceError } from '../source-error.js';
import { abortableDelay } from '../http/abort.js';
import type { FalconApi } from './falcon-api.js';
import { QueryJobCreatedSchema, QueryJobStatusSchema, parseBody } from './parse.js';

/**
 * LogScale says how soon to poll again (`metaData.pollAfter`); bounded so a job is polled well before it is dropped
 * unpolled (after 90 s in older LogScale documentation, 30 s in newer).
 */
const MIN_POLL_MS = 50;
const MAX_POLL_MS = 5_000;
const DEFAULT_POLL_MS = 1_000;

export interface QueryJobRange {
  /** Epoch ms, inclusive. */
  fromMs: number;
  /** Epoch ms. */
  toMs: number;
}

export interface QueryJobRunner {
  /** Runs one non-live query job to completion and returns its result events. */
  run(queryString: string, range: QueryJobRange, signal?: AbortSignal, timeoutMs?: number): Promise<Record<string, unknown>[]>;
}

export interface QueryJobOptions {
  sourceId: string;
  api: FalconApi;
  repository: string;
  /** A job still running after this long is stopped and reported as retryable. */
  timeoutMs: number;
  logger: Logger;
}

/** The Next-Gen SIEM query-job flow: StartSearchV1, GetSearchStatusV1 until `done`, StopSearchV1 when given up. */
export function createQueryJobRunner(options: QueryJobOptions): QueryJobRunner {
  const { sourceId, api, logger } = options;
  const jobsPath = `/humio/api/v1/repositories/${encodeURIComponent(options.repository)}/queryjobs`;

  /** Best effort and not awaited: a job nobody polls is dropped within 30 to 90 s anyway. */
  const stop = (id: string) => {
    api.request({ method: 'DELETE', url: `${jobsPath}/${encodeURIComponent(id)}` }).catch((error: unknown) => {
      logger.debug({ source: sourceId, err: error instanceof Error ? error.message : String(error) }, 'query job stop failed');
    });
  };

  async function poll(id: string, signal: AbortSignal): Promise<Record<string, unknown>[]> {
    for (;;) {
      let body: unknown;
      try {
        body = (await api.request<unknown>({ method: 'GET', url: `${jobsPath}/${encodeURIComponent(id)}`, signal })).data;
      } catch (error) {
        // An unknown job id means it expired between polls; the next poll of the source starts a new one.
        if (error instanceof SourceError && error.status === 404) {
          throw new SourceError('retryable', sourceId, 'the NG-SIEM query job expired before it finished', { status: 404 });
        }
        throw error;
      }
      const status = parseBody(sourceId, 'NG-SIEM query job status', QueryJobStatusSchema, body);
      if (status.cancelled) throw new SourceError('retryable', sourceId, 'NG-SIEM cancelled the query job');
      if (status.done) return status.events;
      const wait = Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, status.metaData?.pollAfter ?? DEFAULT_POLL_MS));
      await abortableDelay(wait, signal);
    }
  }

  return {
    async run(queryString, range, signal, timeoutMs = options.timeoutMs) {
      const deadline = AbortSignal.timeout(timeoutMs);
      const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
      let id: string | undefined;
      try {
        const created = await api.request<unknown>({
          method: 'POST',
          url: jobsPath,
          headers: { 'Content-Type': 'application/json' },
          // Numbers: LogScale reads a string start or end as a relative time ("24h"), never as epoch milliseconds.
          data: { queryString, start: range.fromMs, end: range.toMs, isLive: false, timeZoneOffsetMinutes: 0 },
          signal: combined,
        });
        id = parseBody(sourceId, 'NG-SIEM query job', QueryJobCreatedSchema, created.data).id;
        return await poll(id, combined);
      } catch (error) {
        if (id !== undefined && combined.aborted) stop(id);
        if (deadline.aborted && !signal?.aborted) {
          throw new SourceError('retryable', sourceId, `NG-SIEM query job did not finish within ${timeoutMs} ms`);
        }
        throw error;
      }
    },
  };
}
