/** The first non-blank line of a text stream, and the whole stream again (nothing consumed). */
export interface Peeked {
  /** Undefined when the stream holds only blank lines; cut at `PEEK_LIMIT` characters when `complete` is false. */
  firstLine: string | undefined;
  firstLineNumber: number;
  complete: boolean;
  chunks: AsyncIterable<string>;
}

/**
 * A first line longer than this is read to its end only to tell a JSON document on one line (a raw Graph response,
 * which nothing follows) from a long first record of JSON lines (a PowerShell script block, a huge command line).
 */
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
    if (buffered.length - lineStart > PEEK_LIMIT && partial !== '') return longFirstLine(seen, iterator, buffered.slice(lineStart), lineNumber);
    const next = await iterator.next();
    if (next.done) done = true;
    else {
      seen.push(next.value);
      buffered += next.value;
    }
  }
}

/**
 * A first line past `PEEK_LIMIT`, read on to its end: the whole line when another line follows it (JSON lines);
 * else `complete: false` and only its start, a document on one line, which its reader reads whole anyway. Line
 * breaks are searched in each new chunk, never in the line joined so far.
 */
async function longFirstLine(seen: string[], iterator: AsyncIterator<string>, start: string, lineNumber: number): Promise<Peeked> {
  const document = (done: boolean): Peeked => ({ firstLine: clean(start.slice(0, PEEK_LIMIT)), firstLineNumber: lineNumber, complete: false, chunks: replay(seen, iterator, done) });
  const parts = [start];
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    seen.push(next.value);
    const end = next.value.indexOf('\n');
    if (end === -1) {
      parts.push(next.value);
      continue;
    }
    parts.push(next.value.slice(0, end));
    for (let after = next.value.slice(end + 1); after.trim() === ''; ) {
      const more = await iterator.next();
      if (more.done) return document(true);
      seen.push(more.value);
      after = more.value;
    }
    return { firstLine: clean(parts.join('')), firstLineNumber: lineNumber, complete: true, chunks: replay(seen, iterator, false) };
  }
  return document(true);
}

const clean = (line: string) => line.replace(/^\uFEFF/, '').trim();

/** What was read, then the rest; each chunk read is let go of once handed on (a document can be hundreds of MB). */
async function* replay(seen: string[], rest: AsyncIterator<string>, done: boolean): AsyncGenerator<string> {
  while (seen.length > 0) yield seen.shift()!;
  if (done) return;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}
