/** The first non-blank line of a text stream, and the whole stream again (nothing consumed). */
export interface Peeked {
  /** Undefined when the stream holds only blank lines; cut at `PEEK_LIMIT` characters when `complete` is false. */
  firstLine: string | undefined;
  firstLineNumber: number;
  complete: boolean;
  chunks: AsyncIterable<string>;
}

/** A JSON-lines record is far shorter: a first line this long is a document on one line (a raw Graph response). */
export const PEEK_LIMIT = 1 << 20;

/** Reads just enough of `chunks` to see the first non-blank line, then replays what it read. */
export async function peekFirstLine(chunks: AsyncIterable<string>): Promise<Peeked> {
  const iterator = chunks[Symbol.asyncIterator]();
  const seen: string[] = [];
  let buffered = '';
  let lineStart = 0;
  let lineNumber = 1;
  let done = false;
  for (;;) {
    let end = buffered.indexOf('\n', lineStart);
    while (end !== -1) {
      const line = clean(buffered.slice(lineStart, end));
      if (line !== '') return { firstLine: line, firstLineNumber: lineNumber, complete: true, chunks: replay(seen, iterator, false) };
      lineStart = end + 1;
      lineNumber += 1;
      end = buffered.indexOf('\n', lineStart);
    }
    const partial = clean(buffered.slice(lineStart));
    if (done) {
      const firstLine = partial === '' ? undefined : partial;
      return { firstLine, firstLineNumber: firstLine === undefined ? 0 : lineNumber, complete: true, chunks: replay(seen, iterator, true) };
    }
    if (buffered.length - lineStart > PEEK_LIMIT && partial !== '') {
      return { firstLine: partial.slice(0, PEEK_LIMIT), firstLineNumber: lineNumber, complete: false, chunks: replay(seen, iterator, false) };
    }
    const next = await iterator.next();
    if (next.done) done = true;
    else {
      seen.push(next.value);
      buffered += next.value;
    }
  }
}

const clean = (line: string) => line.replace(/^\uFEFF/, '').trim();

async function* replay(seen: readonly string[], rest: AsyncIterator<string>, done: boolean): AsyncGenerator<string> {
  yield* seen;
  if (done) return;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}
