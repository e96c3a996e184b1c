import type { ConnectionEvent } from '../contracts/connection-event.js';
import { SourceError } from './source-error.js';

export interface PagedReadLimit {
  /** Pages (requests' worth of them) at most. */
  pages: number;
  /** Records at most; the last page asks for no more than remain. */
  records: number;
  onLimit: 'fail' | 'cut';
}

export interface LogReadRange {
  from: Date;
  to: Date;
  signal?: AbortSignal;
}

export interface PagedLogRead<Row> {
  sourceId: string;
  /** Records asked for per page. */
  pageSize: number;
  range: LogReadRange;
  limit: PagedReadLimit;
  /** One page, oldest first: `size` records after skipping `offset`. */
  page(page: { size: number; offset: number }): Promise<readonly Row[]>;
  /** When the record happened (epoch ms); `position` is its index in the whole read, for errors naming it. */
  timeOf(row: Row, position: number): number;
  toEvent(row: Row, timeMs: number): ConnectionEvent;
}

/**
 * A firewall's traffic logs in [from, to), page by page with an offset, as the log APIs of PAN-OS and FortiGate
 * serve them: a page shorter than asked for is the last. Their time filters are coarse (whole seconds, or a unit the
 * vendor leaves undocumented), so each record's own time decides. It stops at `limit.pages` pages or
 * `limit.records` records; `limit.onLimit` decides whether stopping there fails the read or cuts it (`cut: true`).
 */
export async function readLogPages<Row>(read: PagedLogRead<Row>): Promise<{ events: ConnectionEvent[]; cut: boolean }> {
  const { limit } = read;
  const from = read.range.from.getTime();
  const to = read.range.to.getTime();
  const events: ConnectionEvent[] = [];
  for (let page = 0, offset = 0; ; page += 1) {
    if (page >= limit.pages || offset >= limit.records) {
      if (limit.onLimit === 'fail') {
        throw new SourceError('terminal', read.sourceId, `more than ${limit.pages} pages of ${read.pageSize} traffic logs; raise max_pages or shorten the lookback`);
      }
      return { events, cut: true };
    }
    const size = Math.min(read.pageSize, limit.records - offset);
    const rows = await read.page({ size, offset });
    rows.forEach((row, index) => {
      const time = read.timeOf(row, offset + index);
      if (time >= from && time < to) events.push(read.toEvent(row, time));
    });
    if (rows.length < size) return { events, cut: false };
    offset += size;
  }
}
