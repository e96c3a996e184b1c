import { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import type { ConnectionEvent } from '../../contracts/connection-event.js';
import { InputError } from '../input-error.js';
import { createConnectionEventReader } from '../readers/connection-events.js';
import { createMdeNetworkEventReader } from '../readers/mde-network-events.js';
import type { RecordReader } from '../readers/record-reader.js';
import type { SysmonProcesses } from '../readers/sysmon-processes.js';
import { createWindowsEventReader } from '../readers/windows-events.js';
import { createZeekConnReader } from '../readers/zeek-conn.js';
import { splitLines } from './lines.js';
import type { TextEntry } from './open-text.js';
import { peekFirstLine } from './peek.js';
import { documentRows, recordFormat, sniffLayout, unwrapSearchResult, type RecordFormat } from './sniff.js';
import { zeekTsvRecords } from './zeek-tsv.js';

/** What was read from one entry, for the report. */
export interface EntryStats {
  entry: string;
  /** e.g. "windows-events (JSON lines)". */
  format: string;
  records: number;
  events: number;
  skipped: number;
}

export interface ReadContext {
  processes: SysmonProcesses;
}

function readerFor(format: RecordFormat, context: ReadContext): RecordReader {
  switch (format) {
    case 'connection-events':
      return createConnectionEventReader();
    case 'windows-events':
      return createWindowsEventReader(context.processes);
    case 'mde-network-events':
      return createMdeNetworkEventReader();
    case 'zeek-conn':
      return createZeekConnReader();
  }
}

/** The connection events of one entry, whatever its format; `stats` is filled as it is read. */
export async function* readEntry(entry: TextEntry, context: ReadContext, stats: EntryStats): AsyncGenerator<ConnectionEvent> {
  const peeked = await peekFirstLine(entry.chunks);
  if (peeked.firstLine === undefined) {
    stats.format = 'empty';
    return;
  }
  const layout = sniffLayout(peeked.firstLine, peeked.complete);
  switch (layout.layout) {
    case 'unknown':
      throw new InputError(entry.name, layout.reason, peeked.firstLineNumber);
    case 'json-lines':
      stats.format = `${layout.format} (JSON lines)`;
      yield* jsonLines(entry.name, peeked.chunks, readerFor(layout.format, context), stats);
      return;
    case 'json-document':
      yield* jsonDocument(entry.name, peeked.chunks, context, stats);
      return;
    case 'csv':
      stats.format = 'mde-network-events (CSV)';
      yield* csvRows(entry.name, peeked.chunks, delimiterOf(peeked.firstLine), createMdeNetworkEventReader(), stats);
      return;
    case 'zeek-tsv':
      stats.format = 'zeek-conn (TSV)';
      yield* zeekTsv(entry.name, peeked.chunks, createZeekConnReader(), stats);
  }
}

async function* zeekTsv(name: string, chunks: AsyncIterable<string>, reader: RecordReader, stats: EntryStats) {
  for await (const { record, line } of zeekTsvRecords(name, chunks)) {
    stats.records += 1;
    const event = reader.read(record, { entry: name, line });
    if (event) {
      stats.events += 1;
      yield event;
    }
  }
  yield* finish(reader, stats);
}

async function* jsonLines(name: string, chunks: AsyncIterable<string>, reader: RecordReader, stats: EntryStats) {
  for await (const line of splitLines(chunks)) {
    if (line.text.trim() === '') continue;
    let value: unknown;
    try {
      value = unwrapSearchResult(JSON.parse(line.text));
    } catch (error) {
      throw new InputError(name, `not valid JSON (${(error as Error).message})`, line.number);
    }
    stats.records += 1;
    const event = reader.read(value, { entry: name, line: line.number });
    if (event) {
      stats.events += 1;
      yield event;
    }
  }
  yield* finish(reader, stats);
}

function* finish(reader: RecordReader, stats: EntryStats) {
  const held = reader.finish();
  stats.events += held.length;
  stats.skipped = reader.skipped;
  yield* held;
}

/** A JSON document is parsed whole: only its rows are streamed to the reader. */
async function* jsonDocument(name: string, chunks: AsyncIterable<string>, context: ReadContext, stats: EntryStats) {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  let document: unknown;
  try {
    document = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new InputError(name, `not valid JSON (${(error as Error).message})`, lineOfJsonError(text, error as Error));
  }
  const rows = documentRows(document);
  if (rows === undefined) throw new InputError(name, 'a JSON document without a results array (expected an advanced-hunting export)', 1);
  stats.format = 'JSON document';
  if (rows.length === 0) return;
  const format = recordFormat(rows[0]);
  if (format === undefined) throw new InputError(name, 'row 0: not a record of a known format');
  stats.format = `${format} (JSON document)`;
  const reader = readerFor(format, context);
  for (const [row, value] of rows.entries()) {
    stats.records += 1;
    const event = reader.read(value, { entry: name, row });
    if (event) {
      stats.events += 1;
      yield event;
    }
  }
  yield* finish(reader, stats);
}

/** V8 names the offset ("at position 123") or, in newer versions, the line ("(line 3 column 5)"). */
function lineOfJsonError(text: string, error: Error): number | undefined {
  const line = /\(line (\d+) column \d+\)/.exec(error.message);
  if (line) return Number(line[1]);
  const position = /position (\d+)/.exec(error.message);
  if (!position) return undefined;
  let count = 1;
  const end = Math.min(Number(position[1]), text.length);
  for (let index = 0; index < end; index += 1) if (text.charCodeAt(index) === 10) count += 1;
  return count;
}

/** The header's separator: Excel writes ";" where the decimal mark is a comma, some tools a tab. */
function delimiterOf(header: string): string {
  const counts = [',', ';', '\t'].map((delimiter) => [delimiter, header.split(delimiter).length] as const);
  return counts.reduce((best, next) => (next[1] > best[1] ? next : best))[0];
}

/** A CSV export: quoted fields may hold commas and line breaks (command lines do), so csv-parse reads it. */
async function* csvRows(name: string, chunks: AsyncIterable<string>, delimiter: string, reader: RecordReader, stats: EntryStats) {
  const parser = parseCsv({ columns: true, bom: true, info: true, skip_empty_lines: true, delimiter });
  const source = Readable.from(chunks);
  // pipe() does not forward a source error: without this, a corrupt .csv.gz would leave the parser waiting forever.
  source.on('error', (error) => parser.destroy(error));
  source.pipe(parser);
  try {
    for await (const item of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      stats.records += 1;
      const event = reader.read(item.record, { entry: name, line: item.info.lines });
      if (event) {
        stats.events += 1;
        yield event;
      }
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    const line = (error as { lines?: number }).lines;
    throw new InputError(name, `not valid CSV (${(error as Error).message})`, line);
  }
  yield* finish(reader, stats);
}
