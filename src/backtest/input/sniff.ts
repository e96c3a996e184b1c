import { isRecord, type Fields } from '../readers/fields.js';
import { isZeekRecord } from '../readers/zeek-fields.js';

/** The telemetry formats the backtest reads. */
export type RecordFormat = 'connection-events' | 'windows-events' | 'mde-network-events' | 'zeek-conn';

/** How an entry's text is laid out. */
export type Layout =
  | { layout: 'json-lines'; format: RecordFormat }
  | { layout: 'json-document' }
  | { layout: 'csv' }
  | { layout: 'zeek-tsv' }
  | { layout: 'unknown'; reason: string };

const has = (record: Fields, ...keys: string[]) => keys.every((key) => Object.hasOwn(record, key));

/**
 * The event of a line of Splunk's JSON export (`{"preview": false, "result": {...}}`, as the UI's export and the
 * REST `export` endpoint write it); any other value as it is.
 */
export function unwrapSearchResult(value: unknown): unknown {
  return isRecord(value) && isRecord(value.result) && has(value, 'preview') ? value.result : value;
}

/** Which format one JSON record is in, from the fields that only that format has. */
export function recordFormat(value: unknown): RecordFormat | undefined {
  if (!isRecord(value)) return undefined;
  if (has(value, 'dst_endpoint', 'device', 'time')) return 'connection-events';
  // Before the Windows test, which takes any ECS record with an event.code: the Zeek test is the stricter.
  if (isZeekRecord(value)) return 'zeek-conn';
  if (has(value, 'EventID') || has(value, 'EventCode') || isRecord(value.winlog) || (isRecord(value.event) && has(value.event, 'code'))) {
    return 'windows-events';
  }
  if ((has(value, 'DeviceName') || has(value, 'DeviceId')) && (has(value, 'ActionType') || has(value, 'RemoteIP'))) return 'mde-network-events';
  return undefined;
}

/** The result rows of an advanced-hunting export: Graph's `results`, the older API's `Results`, or a plain array. */
export function documentRows(document: unknown): unknown[] | undefined {
  if (Array.isArray(document)) return document;
  if (!isRecord(document)) return undefined;
  const rows = document.results ?? document.Results;
  return Array.isArray(rows) ? rows : undefined;
}

const MDE_CSV_COLUMNS = /(^|[,;\t])"?(Timestamp|TimeGenerated)"?([,;\t]|$)/;
const MDE_CSV_DEVICE = /(^|[,;\t])"?(DeviceName|DeviceId)"?([,;\t]|$)/;

/**
 * Recognises the layout (and for JSON lines, the format) from the first non-blank line; `complete` is false for a
 * long line that nothing follows, which only a JSON document on one line is.
 */
export function sniffLayout(firstLine: string, complete = true): Layout {
  if (firstLine.startsWith('[') || (firstLine.startsWith('{') && !complete)) return { layout: 'json-document' };
  if (firstLine.startsWith('{')) {
    let value: unknown;
    try {
      value = JSON.parse(firstLine);
    } catch {
      // A document pretty-printed over many lines; if it is a broken JSON line instead, parsing the document says where.
      return { layout: 'json-document' };
    }
    if (documentRows(value) !== undefined) return { layout: 'json-document' };
    const format = recordFormat(unwrapSearchResult(value));
    if (format) return { layout: 'json-lines', format };
    const keys = isRecord(value) ? Object.keys(value).slice(0, 8).join(', ') : typeof value;
    return { layout: 'unknown', reason: `a JSON object of no known format (fields: ${keys})` };
  }
  if (firstLine.startsWith('#separator') || firstLine.startsWith('#fields')) return { layout: 'zeek-tsv' };
  if (MDE_CSV_COLUMNS.test(firstLine) && MDE_CSV_DEVICE.test(firstLine)) return { layout: 'csv' };
  return {
    layout: 'unknown',
    reason: 'not a known format (ConnectionEvent, Sysmon or Windows event, Defender DeviceNetworkEvents or Zeek conn.log JSON lines (Zeek, flattened or ECS names), Zeek conn.log TSV, a Defender JSON or CSV export)',
  };
}
