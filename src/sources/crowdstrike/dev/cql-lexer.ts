/**
 * A tokenizer for the subset of LogScale's query language (CQL) the fake understands: double-quoted strings with
 * backslash escapes, field names (`aid`, `@timestamp`, `#event_simpleName`), integers, punctuation and the ordering
 * comparisons (`<`, `<=`, `>`, `>=`), and `*` as the value that matches any (`field = *`). Regex literals, comments and single-quoted strings are refused.
 */

export type TokenKind = 'name' | 'string' | 'number' | 'punct';

export interface Token {
  kind: TokenKind;
  /** Name, decoded string value, digits, or the punctuation itself. */
  value: string;
  at: number;
}

export class CqlSyntaxError extends Error {
  override readonly name = 'CqlSyntaxError';
}

const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', n: '\n', r: '\r', t: '\t' };
const PUNCTUATION = ['|', '(', ')', '[', ']', '{', '}', ',', '=', '!', '*'];
const COMPARISONS = ['<=', '>=', '<', '>'];
const NAME_START = /[A-Za-z_@#]/;
const NAME_PART = /[A-Za-z0-9_.@#]/;

function readString(text: string, start: number): { value: string; end: number } {
  let value = '';
  for (let index = start + 1; ; ) {
    const char = text[index];
    if (char === undefined) throw new CqlSyntaxError(`unterminated string starting at ${start}`);
    if (char === '"') return { value, end: index + 1 };
    if (char === '\\') {
      const next = text[index + 1];
      const decoded = next === undefined ? undefined : ESCAPES[next];
      if (decoded === undefined) throw new CqlSyntaxError(`unsupported escape \\${next ?? ''} at ${index}`);
      value += decoded;
      index += 2;
      continue;
    }
    value += char;
    index += 1;
  }
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index] ?? '';
    if (/\s/.test(char)) {
      index += 1;
      continue;
    }
    if (char === '"') {
      const { value, end } = readString(text, index);
      tokens.push({ kind: 'string', value, at: index });
      index = end;
      continue;
    }
    if (/[0-9]/.test(char)) {
      let end = index;
      while (/[0-9]/.test(text[end] ?? '')) end += 1;
      if (NAME_PART.test(text[end] ?? '')) throw new CqlSyntaxError(`unsupported number at ${index}`);
      tokens.push({ kind: 'number', value: text.slice(index, end), at: index });
      index = end;
      continue;
    }
    if (NAME_START.test(char)) {
      let end = index + 1;
      while (NAME_PART.test(text[end] ?? '')) end += 1;
      tokens.push({ kind: 'name', value: text.slice(index, end), at: index });
      index = end;
      continue;
    }
    const comparison = COMPARISONS.find((operator) => text.startsWith(operator, index));
    if (comparison) {
      tokens.push({ kind: 'punct', value: comparison, at: index });
      index += comparison.length;
      continue;
    }
    if (!PUNCTUATION.includes(char)) throw new CqlSyntaxError(`unexpected character ${JSON.stringify(char)} at ${index}`);
    tokens.push({ kind: 'punct', value: char, at: index });
    index += 1;
  }
  return tokens;
}
