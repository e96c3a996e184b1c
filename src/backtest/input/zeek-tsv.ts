import { InputError } from '../input-error.js';
import { splitLines, type Line } from './lines.js';
import type { TextEntry } from './open-text.js';

/** One data line of a Zeek ASCII log, by field name; unset fields are left out. */
export interface ZeekTsvRecord {
  record: Record<string, string>;
  line: number;
}

/** Zeek writes `\xNN` for the separator and non-printable bytes inside values and in the `#separator` line. */
const unescape = (text: string) => text.replace(/\\x([0-9a-f]{2})/gi, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));

/**
 * The records of a log in Zeek's default ASCII (TSV) format: `#separator`, `#unset_field`, `#empty_field`, `#path`
 * and `#fields` header lines, then one record per line. Header blocks may repeat (rotated logs concatenated); each
 * `#fields` line applies to the lines after it. Only `conn` logs are accepted. Returns the last line when it is
 * what a cut left of a record, which is not read: a line without a line break after it whose values are too few,
 * or any unfinished line of compressed data that ends early (its last value may be cut short).
 */
export async function* zeekTsvRecords(name: string, chunks: AsyncIterable<string>, ending: TextEntry['ending']): AsyncGenerator<ZeekTsvRecord, Line | undefined> {
  let separator = '\t';
  let unset = '-';
  let empty = '(empty)';
  let fields: string[] | undefined;
  for await (const line of splitLines(chunks)) {
    const { text, number } = line;
    if (text === '') continue;
    if (!line.terminated && ending.cut !== undefined) return text.startsWith('#') ? undefined : line;
    if (text.startsWith('#')) {
      if (text.startsWith('#separator ')) {
        separator = unescape(text.slice('#separator '.length));
        continue;
      }
      const [directive, ...values] = text.split(separator);
      if (directive === '#unset_field') unset = values[0] ?? unset;
      else if (directive === '#empty_field') empty = values[0] ?? empty;
      else if (directive === '#fields') fields = values;
      else if (directive === '#path' && values[0] !== 'conn') {
        throw new InputError(name, `a Zeek ${values[0] ?? 'unnamed'} log; the backtest reads conn.log`, number);
      }
      continue;
    }
    if (!fields) throw new InputError(name, 'a Zeek log line before any #fields header', number);
    const values = text.split(separator);
    if (!line.terminated && values.length < fields.length) return line;
    if (values.length !== fields.length) {
      throw new InputError(name, `${values.length} values where the #fields header names ${fields.length}`, number);
    }
    const record: Record<string, string> = {};
    fields.forEach((field, index) => {
      const value = values[index]!;
      if (value === unset) return;
      record[field] = value === empty ? '' : unescape(value);
    });
    yield { record, line: number };
  }
  return undefined;
}
