import type { Logger } from 'pino';
import { SourceError } from '../source-error.js';
import type { SourceHttpClient } from '../http/source-http-client.js';
import { EventsPageSchema, InitQuerySchema, QueryStatusSchema, parseBody } from './parse.js';

const DV = '/web/api/v2.1/dv';
/** A failure of the query itself (bad S1QL): retrying the same query cannot help. */
const REJECTED_STATES = new Set(['FAILED_CLIENT']);
/** The service gave up on the query; a later poll runs it again. */
const FAILED_STATES = new Set(['FAILED', 'TIMED_OUT', 'QUERY_EXPIRED', 'QUERY_NOT_FOUND', 'QUERY_CANCEL']);

export interface DvLimits {
  /** init-query `limit`: the most events the query keeps. */
  queryLimit: number;
  /** Stop reading pages once this many events are read. */
  maxEvents: number;
}

export interface DvResult {
  events: Record<string, unknown>[];
  /** False when the query filled its limit or the read stopped at `maxEvents`: more events may exist. */
  complete: boolean;
}

export interface DvQueryRunner {
  /** `timeoutMs` replaces the runner's own limit for this query. */
  run(query: string, range: { from: Date; to: Date }, limits: DvLimits, signal?: AbortSignal, timeoutMs?: number): Promise<DvResult>;
}

export interface DvQueryOptions {
  sourceId: string;
  /** For init-query, events and cancel-query. */
  http: SourceHttpClient;
  /** For query-status, whose budget also holds the one-call-a-second-per-token gate. */
  statusHttp: SourceHttpClient;
  authorization: string;
  accountIds?: readonly string[];
  siteIds?: readonly string[];
  pageSize: number;
  timeoutMs: number;
  logger: Logger;
}

/** Deep Visibility's flow: init-query, query-status until finished, events by cursor; cancel-query when given up. */
export function createDvQueryRunner(options: DvQueryOptions): DvQueryRunner {
  const { sourceId, http, statusHttp, logger } = options;
  const headers = { Authorization: options.authorization };

  /** Best effort and not awaited: an abandoned query expires on its own. */
  const cancel = (queryId: string) => {
    http.request({ method: 'POST', url: `${DV}/cancel-query`, headers: { ...headers, 'Content-Type': 'application/json' }, data: { queryId } }).catch((error: unknown) => {
      logger.debug({ source: sourceId, err: error instanceof Error ? error.message : String(error) }, 'Deep Visibility cancel failed');
    });
  };

  async function init(query: string, range: { from: Date; to: Date }, limit: number, signal: AbortSignal): Promise<string> {
    const response = await http.request<unknown>({
      method: 'POST',
      url: `${DV}/init-query`,
      headers: { ...headers, 'Content-Type': 'application/json' },
      data: {
        query,
        fromDate: range.from.toISOString(),
        toDate: range.to.toISOString(),
        limit,
        queryType: ['events'],
        isVerbose: false,
        ...(options.accountIds ? { accountIds: options.accountIds } : {}),
        ...(options.siteIds ? { siteIds: options.siteIds } : {}),
      },
      signal,
    });
    return parseBody(sourceId, 'dv/init-query', InitQuerySchema, response.data).data.queryId;
  }

  /** Polls until the query is finished; the status client's gate spaces the polls a second apart. */
  async function finished(queryId: string, signal: AbortSignal): Promise<boolean> {
    for (;;) {
      const response = await statusHttp.request<unknown>({ method: 'GET', url: `${DV}/query-status`, params: { queryId }, headers, signal });
      const state = parseBody(sourceId, 'dv/query-status', QueryStatusSchema, response.data).data.responseState;
      if (state === 'FINISHED') return true;
      if (state === 'EMPTY_RESULTS') return false;
      if (REJECTED_STATES.has(state)) throw new SourceError('terminal', sourceId, `Deep Visibility refused the query (${state})`);
      if (FAILED_STATES.has(state)) throw new SourceError('retryable', sourceId, `Deep Visibility query ended as ${state}`);
    }
  }

  async function read(queryId: string, limits: DvLimits, signal: AbortSignal): Promise<DvResult> {
    const events: Record<string, unknown>[] = [];
    let cursor: string | undefined;
    for (;;) {
      const params = { queryId, limit: options.pageSize, ...(cursor ? { cursor } : {}) };
      const response = await http.request<unknown>({ method: 'GET', url: `${DV}/events`, params, headers, signal });
      const page = parseBody(sourceId, 'dv/events', EventsPageSchema, response.data);
      events.push(...page.data);
      const next = page.pagination?.nextCursor ?? undefined;
      if (!next || page.data.length === 0) break;
      if (next === cursor) throw new SourceError('terminal', sourceId, 'dv/events paging did not advance; the service repeated its cursor');
      if (events.length >= limits.maxEvents) return { events, complete: false };
      cursor = next;
    }
    return { events, complete: events.length < limits.queryLimit };
  }

  return {
    async run(query, range, limits, signal, timeoutMs = options.timeoutMs) {
      const deadline = AbortSignal.timeout(timeoutMs);
      const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
      let queryId: string | undefined;
      try {
        queryId = await init(query, range, limits.queryLimit, combined);
        if (!(await finished(queryId, combined))) return { events: [], complete: true };
        return await read(queryId, limits, combined);
      } catch (error) {
        if (queryId !== undefined && combined.aborted) cancel(queryId);
        if (deadline.aborted && !signal?.aborted) {
          throw new SourceError('retryable', sourceId, `Deep Visibility query did not finish within ${timeoutMs} ms`);
        }
        throw error;
      }
    },
  };
}
