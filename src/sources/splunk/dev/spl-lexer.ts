/**
 * A tokenizer for the SPL the fake understands, after Splunk's search language rules: double-quoted strings where
 * `\"` and `\\` are the escapes and everything else (pipes, brackets, `*`, newlines) is literal text; `|` between
 * commands; `[ ]` around subsearches; bare words for field names, values and keywords.
 */

export type SplTokenKind = 'word' | 'string' | 'punct';

export interface SplToken {
  kind: SplTokenKind;
  /** The word, the decoded string value, or the punctuation itself. */
  value: string;
  /** Offset in the search text, for error messages. */
  at: number;
}

export class SplSyntaxError extends Error {
  override readonly name = 'SplSyntaxError';
}

const PUNCTUATION = ['==', '!=', '>=', '<=', '|', '(', ')', '[', ']', ',', '=', '<', '>'];
const WORD = /[A-Za-z0-9_.:*/@\\-]/;

function readString(text: string, start: number): { value: string; end: number } {
  let value = '';
  let index = start + 1;
  for (;;) {
    const char = text[index];
    if (char === undefined) throw new SplSyntaxError(`Unbalanced quotes at ${start}`);
    if (char === '"') return { value, end: index + 1 };
    if (char === '\\') {
      const next = text[index + 1];
      // SPL keeps other backslash pairs as they are; the connector never emits them, so the fake refuses them.
      if (next !== '"' && next !== '\\') throw new SplSyntaxError(`unsupported escape \\${next ?? ''} at ${index}`);
      value += next;
      index += 2;
      continue;
    }
    value += char;
    index += 1;
  }
}

export function tokenizeSpl(text: string): SplToken[] {
  const tokens: SplToken[] = [];
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
    if (WORD.test(char)) {
      let end = index + 1;
      while (end < text.length && WORD.test(text[end] ?? '')) end += 1;
      tokens.push({ kind: 'word', value: text.slice(index, end), at: index });
      index = end;
      continue;
    }
    const punct = PUNCTUATION.find((candidate) => text.startsWith(candidate, index));
    if (!punct) throw new SplSyntaxError(`unexpected character ${JSON.stringify(char)} at ${index}`);
    tokens.push({ kind: 'punct', value: punct, at: index });
    index += punct.length;
  }
  return tokens;
}
