import { parse as parseCsv } from 'csv-parse';
import { InputError } from '../input-error.js';
import type { ReadConnection } from '../sighting.js';
import { createConnectionEventReader } from '../readers/connection-events.js';
import { createMdeNetworkEventReader } from '../readers/mde-network-events.js';
import type { RecordReader } from '../readers/record-reader.js';
import type { SysmonProcesses } from '../readers/sysmon-processes.js';
import { createWindowsEventReader, firstPassLineStarts, mayMatterToFirstPass, WindowsLogIndex } from '../readers/windows-events.js';
import { createZeekConnReader } from '../readers/zeek-conn.js';
import { UNFINISHED_LINE, type CutOff } from './cut-off.js';
import { splitLineBatches, type Line } from './lines.js';
import { searchedText, searchJoin, searchSlice, type SearchChunk, type TextEntry } from './open-text.js';
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
  /** `skipped` by reason, when the reader tells. */
  skip_reasons?: Record<string, number>;
  /** Set when the entry is cut off at its end (a live log copied mid-write, a partial download). */
  cut_off?: CutOff;
}

export interface ReadContext {
  processes: SysmonProcesses;
  /**
   * Records before this time (epoch ms) may be read as sightings only (`Sighting`): what a backtest folds into the
   * baseline needs no more. Unset, every record is read whole.
   */
  sightingsBefore?: number;
}

/** The reader of a format; a Windows log's needs the first pass over it (`index`). */
async function readerFor(format: RecordFormat, context: ReadContext, index: (log: WindowsLogIndex) => Promise<void>): Promise<RecordReader> {
  switch (format) {
    case 'connection-events':
      return createConnectionEventReader();
    case 'windows-events': {
      const log = new WindowsLogIndex(context.processes);
      await index(log);
      return createWindowsEventReader(context.processes, log, context.sightingsBefore);
    }
    case 'mde-network-events':
      return createMdeNetworkEventReader(context.sightingsBefore);
    case 'zeek-conn':
      return createZeekConnReader();
  }
}

/**
 * Events are handed on in batches of this many: small enough that the events of a batch are mostly still in V8's
 * young generation when the backtest consumes them (chunk-sized batches of thousands of events outlived its
 * scavenges and tripled the time spent collecting garbage), large enough that the async steps stay few.
 */
const BATCH = 128;

/** Counts the records read and what the reader made of them, and hands the events on in batches of `BATCH`. */
class EventBatches {
  private events: ReadConnection[] = [];

  constructor(private readonly stats: EntryStats) {}

  /** One record read, with its event if it made one: a full batch once one is ready. */
  add(event: ReadConnection | undefined): ReadConnection[] | undefined {
    this.stats.records += 1;
    if (event === undefined) return undefined;
    this.stats.events += 1;
    this.events.push(event);
    return this.events.length < BATCH ? undefined : this.rest();
  }

  /** The events not handed on yet, if any. */
  rest(): ReadConnection[] | undefined {
    if (this.events.length === 0) return undefined;
    const batch = this.events;
    this.events = [];
    return batch;
  }
}

/**
 * The connection events of one entry in batches, whatever its format; `stats` is filled as it is read. An entry cut off at
 * its end gives what was read before the cut, and `stats.cut_off` says what was lost; when nothing before the cut
 * could be read, the cut is recorded for `readTelemetryFile` to refuse the file, unless another entry of it reads.
 */
export async function* readEntry(entry: TextEntry, context: ReadContext, stats: EntryStats): AsyncGenerator<ReadConnection[]> {
  try {
    yield* readLayout(entry, context, stats);
  } catch (error) {
    if (!(error instanceof InputError) || entry.ending.cut === undefined || stats.records > 0) throw error;
    stats.cut_off = { reason: entry.ending.cut, ...(error.line !== undefined && { line: error.line }) };
    return;
  }
  if (entry.ending.cut !== undefined) stats.cut_off ??= { reason: entry.ending.cut };
}

async function* readLayout(entry: TextEntry, context: ReadContext, stats: EntryStats): AsyncGenerator<ReadConnection[]> {
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
      yield* jsonLines(entry, peeked.chunks, await readerFor(layout.format, context, (log) => indexLines(entry.reread(), log)), stats);
      return;
    case 'json-document':
      yield* jsonDocument(entry.name, peeked.chunks, context, stats);
      return;
    case 'csv':
      stats.format = 'mde-network-events (CSV)';
      yield* csvRows(entry, peeked.chunks, delimiterOf(peeked.firstLine), createMdeNetworkEventReader(context.sightingsBefore), stats);
      return;
    case 'zeek-tsv':
      stats.format = 'zeek-conn (TSV)';
      yield* zeekTsv(entry, peeked.chunks, createZeekConnReader(), stats);
  }
}

/**
 * The first pass over a Windows log of JSON lines: the text is searched for the event ids that matter to it, and
 * only the lines they are in are decoded and parsed.
 */
async function indexLines(chunks: AsyncIterable<SearchChunk>, log: WindowsLogIndex): Promise<void> {
  // The start of a line that no chunk has ended yet, in the chunks it spans.
  let pending: SearchChunk[] = [];
  let first = true;
  const note = (line: string) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return;
    }
    log.note(unwrapSearchResult(value));
  };
  const noteIfItMatters = (line: SearchChunk) => {
    if (mayMatterToFirstPass(line.text)) note(searchedText(line, 0, line.text.length));
  };
  for await (let chunk of chunks) {
    if (first && chunk.text.length > 0) {
      chunk = searchSlice(chunk, byteOrderMarkLength(chunk));
      first = false;
    }
    const firstBreak = chunk.text.indexOf('\n');
    if (firstBreak === -1) {
      pending.push(chunk);
      continue;
    }
    noteIfItMatters(searchJoin([...pending, searchSlice(chunk, 0, firstBreak)]));
    const complete = chunk.text.lastIndexOf('\n') + 1;
    for (const start of firstPassLineStarts(chunk.text, firstBreak + 1, complete)) note(searchedText(chunk, start, chunk.text.indexOf('\n', start)));
    pending = [searchSlice(chunk, complete)];
  }
  const rest = searchJoin(pending);
  if (rest.text !== '') noteIfItMatters(rest);
}

/** A leading byte order mark's length in the chunk: three bytes of UTF-8, or the one character UTF-16 decodes to. */
function byteOrderMarkLength({ text, bytes }: SearchChunk): number {
  if (bytes) return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return text.charCodeAt(0) === 0xfeff ? 1 : 0;
}

/** Records that a partial last line was dropped. */
function dropLast(entry: TextEntry, line: Line, stats: EntryStats): void {
  stats.cut_off = { reason: entry.ending.cut ?? UNFINISHED_LINE, line: line.number, bytes: Buffer.byteLength(line.text) };
}

async function* zeekTsv(entry: TextEntry, chunks: AsyncIterable<string>, reader: RecordReader, stats: EntryStats) {
  const records = zeekTsvRecords(entry.name, chunks, entry.ending);
  let next = await records.next();
  const batches = new EventBatches(stats);
  for (; !next.done; next = await records.next()) {
    const full = batches.add(reader.read(next.value.record, { entry: entry.name, line: next.value.line }));
    if (full) yield full;
  }
  const rest = batches.rest();
  if (rest) yield rest;
  if (next.value) dropLast(entry, next.value, stats);
  yield* finish(reader, stats);
}

/**
 * A line that is not JSON is refused, unless it is the last line and the file ends inside it (no line break after
 * it), or the compressed data ends inside it: then it is what the cut left of a record.
 */
async function* jsonLines(entry: TextEntry, chunks: AsyncIterable<string>, reader: RecordReader, stats: EntryStats) {
  let broken: { line: Line; error: InputError } | undefined;
  // One position, updated per line: readers use it at once (errors, ids) and keep none.
  const at = { entry: entry.name, line: 0 };
  const batches = new EventBatches(stats);
  for await (const { texts, first, terminated } of splitLineBatches(chunks)) {
    for (let index = 0; index < texts.length; index += 1) {
      const text = texts[index]!;
      if (isBlank(text)) continue;
      if (broken) throw broken.error;
      at.line = first + index;
      let value: unknown;
      try {
        value = unwrapSearchResult(JSON.parse(text));
      } catch (error) {
        broken = { line: { text, number: at.line, terminated }, error: new InputError(entry.name, `not valid JSON (${(error as Error).message})`, at.line) };
        continue;
      }
      const full = batches.add(reader.read(value, at));
      if (full) yield full;
    }
    const rest = batches.rest();
    if (rest) yield rest;
  }
  if (broken) {
    if (broken.line.terminated) throw broken.error;
    dropLast(entry, broken.line, stats);
  }
  yield* finish(reader, stats);
}

/** A JSON line starts with "{" (or "[") in practice: only a line that does not is trimmed to tell blank from not. */
const isBlank = (text: string) => text.length === 0 || (text.charCodeAt(0) !== 123 && text.trim() === '');

function* finish(reader: RecordReader, stats: EntryStats) {
  const held = reader.finish();
  stats.events += held.length;
  stats.skipped = reader.skipped;
  if (reader.skipReasons?.size) stats.skip_reasons = Object.fromEntries(reader.skipReasons);
  if (held.length > 0) yield held;
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
  const reader = await readerFor(format, context, async (log) => {
    for (const row of rows) log.note(row);
  });
  const batches = new EventBatches(stats);
  for (const [row, value] of rows.entries()) {
    const full = batches.add(reader.read(value, { entry: name, row }));
    if (full) yield full;
  }
  const rest = batches.rest();
  if (rest) yield rest;
  yield* finish(reader, stats);
}

/**
 * V8 names the offset ("at position 123") or, in newer versions, the line ("(line 3 column 5)"); text that stops
 * inside a value fails at its end.
 */
function lineOfJsonError(text: string, error: Error): number | undefined {
  const line = /\(line (\d+) column \d+\)/.exec(error.message);
  if (line) return Number(line[1]);
  const position = /position (\d+)/.exec(error.message);
  if (!position && !/end of JSON input/.test(error.message)) return undefined;
  let count = 1;
  const end = position ? Math.min(Number(position[1]), text.length) : text.trimEnd().length;
  for (let index = 0; index < end; index += 1) if (text.charCodeAt(index) === 10) count += 1;
  return count;
}

/** The header's separator: Excel writes ";" where the decimal mark is a comma, some tools a tab. */
function delimiterOf(header: string): string {
  const counts = [',', ';', '\t'].map((delimiter) => [delimiter, header.split(delimiter).length] as const);
  return counts.reduce((best, next) => (next[1] > best[1] ? next : best))[0];
}

interface CsvRecord {
  record: Record<string, string>;
  line: number;
  /** Bytes of text up to the end of the record. */
  bytes: number;
}

/** csv-parse's errors for a record with another number of fields than the header names. */
const CSV_FIELD_COUNT = new Set(['CSV_RECORD_INCONSISTENT_COLUMNS', 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH']);

/**
 * A CSV export: quoted fields may hold commas and line breaks (command lines do), so csv-parse reads it. Records
 * are taken as the parser completes them, so those before a broken one are read. The last record, which only the
 * end of the text completes, is dropped as partial when it ends inside a quoted field, when no line break ends the
 * text and it has too few fields, or when the compressed data ended inside it.
 */
async function* csvRows(entry: TextEntry, chunks: AsyncIterable<string>, delimiter: string, reader: RecordReader, stats: EntryStats) {
  const name = entry.name;
  const parsed: CsvRecord[] = [];
  let failure: (Error & { code?: string; lines?: number }) | undefined;
  const parser = parseCsv({
    columns: true,
    bom: true,
    skip_empty_lines: true,
    delimiter,
    on_record: (record: Record<string, string>, info: { lines: number; bytes: number }) => {
      parsed.push({ record, line: info.lines, bytes: info.bytes });
      return null;
    },
  });
  parser.on('error', (error) => {
    failure = error;
  });
  const notCsv = (error: Error & { lines?: number }) => new InputError(name, `not valid CSV (${error.message})`, error.lines);

  let bytes = 0;
  let lastBytes = 0;
  let endsWithBreak = false;
  const batches = new EventBatches(stats);
  function* take(records: CsvRecord[]) {
    for (const { record, line, bytes: end } of records) {
      lastBytes = end;
      const full = batches.add(reader.read(record, { entry: name, line }));
      if (full) yield full;
    }
    const rest = batches.rest();
    if (rest) yield rest;
  }
  for await (const chunk of chunks) {
    bytes += Buffer.byteLength(chunk);
    endsWithBreak = chunk.endsWith('\n');
    await new Promise<void>((resolve) => parser.write(chunk, () => resolve()));
    yield* take(parsed.splice(0));
    if (failure) throw notCsv(failure);
  }
  await new Promise<void>((resolve) => {
    parser.once('error', () => resolve());
    parser.end(() => resolve());
  });
  const last = parsed.splice(0);
  const cut = entry.ending.cut;
  if (failure) {
    // A finished export never ends inside a quoted field.
    const partial = failure.code === 'CSV_QUOTE_NOT_CLOSED' || (!endsWithBreak && CSV_FIELD_COUNT.has(failure.code ?? ''));
    if (!partial) throw notCsv(failure);
    stats.cut_off = { reason: cut ?? UNFINISHED_LINE, ...(failure.lines !== undefined && { line: failure.lines }), bytes: bytes - (last.at(-1)?.bytes ?? lastBytes) };
  } else if (cut !== undefined && !endsWithBreak && last.length > 0) {
    const [dropped] = last.splice(-1);
    stats.cut_off = { reason: cut, line: dropped!.line, bytes: bytes - (last.at(-1)?.bytes ?? lastBytes) };
  }
  yield* take(last);
  yield* finish(reader, stats);
}
