import type { Logger } from 'pino';
import { SourceError } from '../source-error.js';
import type { SourceHttpClient } from '../http/source-http-client.js';
import { searchPage, type Json } from './dsl.js';
import { HitSchema, PitOpenedSchema, SearchResponseSchema, parseBody, parseItems, requireComplete, type Hit } from './parse.js';

/** A loop past this many pages is a cluster that ignores search_after, not a busy host. */
const MAX_PAGES = 1_000;

export interface PitSearchOptions {
  sourceId: string;
  http: SourceHttpClient;
  authorization: string;
  indices: readonly string[];
  keepAlive: string;
  pageSize: number;
  logger: Logger;
}

/** The indices as one path segment: each name encoded, joined by commas. */
export const indexPath = (indices: readonly string[]): string => indices.map((index) => encodeURIComponent(index).replaceAll('%2A', '*')).join(',');

/**
 * Every hit of `query`, read in a point in time: `POST /{indices}/_pit`, then `POST /_search` with `search_after`
 * until a page comes back short, then `DELETE /_pit`. The PIT keeps the pages consistent while new events arrive.
 */
export async function searchAll(options: PitSearchOptions, query: Json, signal?: AbortSignal): Promise<Hit[]> {
  const { sourceId, http, logger } = options;
  const headers = { Authorization: options.authorization, 'Content-Type': 'application/json' };
  const opened = await http.request<unknown>({
    method: 'POST',
    url: `/${indexPath(options.indices)}/_pit`,
    params: { keep_alive: options.keepAlive },
    headers,
    signal,
  });
  let pitId = parseBody(sourceId, '_pit', PitOpenedSchema, opened.data).id;
  const hits: Hit[] = [];
  try {
    let after: Json[] | undefined;
    for (let page = 1; ; page += 1) {
      const response = await http.request<unknown>({
        method: 'POST',
        url: '/_search',
        headers,
        data: searchPage({ query, pitId, keepAlive: options.keepAlive, size: options.pageSize, after }),
        signal,
      });
      const body = parseBody(sourceId, '_search', SearchResponseSchema, response.data);
      requireComplete(sourceId, body);
      // The reply may carry a newer PIT id; the newest one must be used.
      pitId = body.pit_id ?? pitId;
      const pageHits = parseItems(sourceId, 'search hit', HitSchema, body.hits.hits);
      hits.push(...pageHits);
      if (pageHits.length < options.pageSize) break;
      const next = pageHits.at(-1)?.sort;
      if (!next || JSON.stringify(next) === JSON.stringify(after)) {
        throw new SourceError('terminal', sourceId, '_search paging did not advance; the hits carry no new sort values');
      }
      if (page >= MAX_PAGES) throw new SourceError('terminal', sourceId, `more than ${MAX_PAGES} pages of hits; narrow the watch`);
      after = next;
    }
  } finally {
    // A PIT left open expires after keep_alive, so a failed close is only logged. It is awaited, so that the next
    // read of this source starts after it, except when the caller gave up and should not wait for it.
    const closing = http.request({ method: 'DELETE', url: '/_pit', headers, data: { id: pitId } }).catch((error: unknown) => {
      logger.debug({ source: sourceId, err: error instanceof Error ? error.message : String(error) }, 'closing the point in time failed');
    });
    if (!signal?.aborted) await closing;
  }
  return hits;
}
