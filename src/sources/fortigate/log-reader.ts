import type { SourceHttpClient } from '../http/source-http-client.js';
import { pollJob } from '../http/poll-job.js';
import { SourceError } from '../source-error.js';
import { parseLogResponse, parseRecords, readLogBody, type LogResponse, type TrafficRecord } from './parse.js';

export interface LogReaderOptions {
  sourceId: string;
  http: SourceHttpClient;
  token: string;
  logDevice: 'disk' | 'memory' | 'fortianalyzer';
  vdom: string;
  serialNo?: string;
  pollIntervalMs: number;
  jobTimeoutMs: number;
}

export interface LogReader {
  /** One page (`rows` records from `start`) of forward-traffic logs matching every filter. */
  page(filters: readonly string[], page: { rows: number; start: number }, signal?: AbortSignal): Promise<TrafficRecord[]>;
}

/** FortiAnalyzer answers at most this many rows per request. */
export const FORTIANALYZER_MAX_ROWS = 1_024;

/**
 * Reads `/api/v2/log/{device}/traffic/forward`. Disk and memory logs answer at once. FortiAnalyzer-backed reads
 * are asynchronous: a first request opens a session (`session_id`); each page is then re-requested with it until
 * `completed` reaches 100. One reader serves one query: its session belongs to that query's filters.
 */
export function createLogReader(options: LogReaderOptions): () => LogReader {
  const { sourceId, http } = options;
  const path = `/api/v2/log/${options.logDevice}/traffic/forward`;
  const headers = { Authorization: `Bearer ${options.token}` };

  async function get(filters: readonly string[], extra: Record<string, string>, signal?: AbortSignal): Promise<LogResponse> {
    const params = new URLSearchParams({ vdom: options.vdom, ...extra });
    if (options.serialNo !== undefined && options.logDevice === 'fortianalyzer') params.set('serial_no', options.serialNo);
    // Repeated `filter` parameters are ANDed; axios would write them as filter[]=.
    for (const filter of filters) params.append('filter', filter);
    const response = await http.request<unknown>(
      { method: 'GET', url: `${path}?${params.toString()}`, headers, signal },
      { parse: (body, status) => readLogBody(sourceId, status, body) },
    );
    return parseLogResponse(sourceId, response.data);
  }

  return () => {
    let sessionId: number | undefined;
    return {
      async page(filters, { rows, start }, signal) {
        const paging = { rows: String(rows), start: String(start) };
        if (options.logDevice !== 'fortianalyzer') {
          return parseRecords(sourceId, (await get(filters, paging, signal)).results ?? [], start);
        }
        if (sessionId === undefined) {
          const opened = await get(filters, paging, signal);
          if (opened.session_id === undefined) {
            // A FortiAnalyzer that answers synchronously: what it sent is the page.
            if (opened.completed === undefined || opened.completed >= 100) return parseRecords(sourceId, opened.results ?? [], start);
            throw new SourceError('terminal', sourceId, 'FortiAnalyzer log query is incomplete but gave no session_id to follow');
          }
          sessionId = opened.session_id;
        }
        const session = String(sessionId);
        const done = await pollJob({
          sourceId,
          what: `FortiAnalyzer log session ${session}`,
          check: async () => {
            const response = await get(filters, { ...paging, session_id: session }, signal);
            return response.completed === undefined || response.completed >= 100 ? response : undefined;
          },
          intervalMs: options.pollIntervalMs,
          timeoutMs: options.jobTimeoutMs,
          signal,
        });
        return parseRecords(sourceId, done.results ?? [], start);
      },
    };
  };
}
