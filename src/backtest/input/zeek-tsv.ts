import { InputError } from '../input-error.js';
import { splitLines } from './lines.js';

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
 * `#fields` line applies to the lines after it. Only `conn` logs are accepted.
 */
export async function* zeekTsvRecords(name: string, chunks: AsyncIterable<string>): AsyncGenerator<ZeekTsvRecord> {
  let separator = '\t';
  let unset = '-';
  let empty = '(empty)';
  let fields: string[] | undefined;
  for await (const { text, number } of splitLines(chunks)) {
    if (text === '') continue;
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
}
