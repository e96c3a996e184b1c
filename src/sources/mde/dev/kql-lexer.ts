/**
 * A tokenizer for the subset of KQL the fake understands, following the lexical rules of
 * microsoft/Kusto-Query-Language `KqlTokens.g4`: quoted strings with backslash escapes (no raw CR/LF),
 * verbatim `@"..."` strings, `datetime(...)` literals read up to the first `)`, `//` line comments.
 */

export type TokenKind = 'ident' | 'string' | 'number' | 'datetime' | 'punct';

export interface Token {
  kind: TokenKind;
  /** Identifier name, decoded string value, digits, datetime text, or the punctuation itself. */
  value: string;
  /** Offset in the query text, for error messages. */
  at: number;
}

export class KqlSyntaxError extends Error {
  override readonly name = 'KqlSyntaxError';
}

const ESCAPES: Readonly<Record<string, string>> = { '"': '"', "'": "'", '\\': '\\', n: '\n', r: '\r', t: '\t' };
const PUNCTUATION = ['==', '!=', '>=', '<=', '=~', '!~', '|', '(', ')', '[', ']', ',', '>', '<', '=', '!', '.', '~', '-'];
const IDENT_START = /[A-Za-z_$]/;
const IDENT_PART = /[A-Za-z0-9_]/;

function readQuoted(text: string, start: number, quote: string): { value: string; end: number } {
  let value = '';
  let index = start + 1;
  for (;;) {
    const char = text[index];
    if (char === undefined || char === '\n' || char === '\r') throw new KqlSyntaxError(`unterminated string literal at ${start}`);
    if (char === quote) return { value, end: index + 1 };
    if (char === '\\') {
      const next = text[index + 1];
      const decoded = next === undefined ? undefined : ESCAPES[next];
      // KQL has more escapes (\u, \x, octal); the builder never emits them, so the fake refuses them.
      if (decoded === undefined) throw new KqlSyntaxError(`unsupported escape \\${next ?? ''} at ${index}`);
      value += decoded;
      index += 2;
      continue;
    }
    value += char;
    index += 1;
  }
}

function readVerbatim(text: string, start: number, quote: string): { value: string; end: number } {
  let value = '';
  let index = start + 2;
  for (;;) {
    const char = text[index];
    if (char === undefined || char === '\n' || char === '\r') throw new KqlSyntaxError(`unterminated string literal at ${start}`);
    if (char === quote) {
      if (text[index + 1] === quote) {
        value += quote;
        index += 2;
        continue;
      }
      return { value, end: index + 1 };
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
    if (text.startsWith('//', index)) {
      const newline = text.slice(index).search(/[\r\n\u2028\u2029]/);
      index = newline === -1 ? text.length : index + newline;
      continue;
    }
    if (char === '"' || char === "'") {
      const { value, end } = readQuoted(text, index, char);
      tokens.push({ kind: 'string', value, at: index });
      index = end;
      continue;
    }
    const next = text[index + 1];
    if (char === '@' && (next === '"' || next === "'")) {
      const { value, end } = readVerbatim(text, index, next);
      tokens.push({ kind: 'string', value, at: index });
      index = end;
      continue;
    }
    if (/[0-9]/.test(char)) {
      let end = index;
      while (end < text.length && /[0-9]/.test(text[end] ?? '')) end += 1;
      if (IDENT_PART.test(text[end] ?? '') || text[end] === '.') {
        throw new KqlSyntaxError(`unsupported numeric literal at ${index}`);
      }
      tokens.push({ kind: 'number', value: text.slice(index, end), at: index });
      index = end;
      continue;
    }
    if (IDENT_START.test(char)) {
      let end = index + 1;
      while (end < text.length && IDENT_PART.test(text[end] ?? '')) end += 1;
      const name = text.slice(index, end);
      if (name === 'datetime' && text[end] === '(') {
        const close = text.indexOf(')', end);
        if (close === -1) throw new KqlSyntaxError(`unterminated datetime literal at ${index}`);
        tokens.push({ kind: 'datetime', value: text.slice(end + 1, close).trim(), at: index });
        index = close + 1;
        continue;
      }
      tokens.push({ kind: 'ident', value: name, at: index });
      index = end;
      continue;
    }
    const punct = PUNCTUATION.find((candidate) => text.startsWith(candidate, index));
    if (!punct) throw new KqlSyntaxError(`unexpected character ${JSON.stringify(char)} at ${index}`);
    tokens.push({ kind: 'punct', value: punct, at: index });
    index += punct.length;
  }
  return tokens;
}
