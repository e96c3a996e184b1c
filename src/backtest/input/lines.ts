/** A line of text and its 1-based number in its entry. */
export interface Line {
  text: string;
  number: number;
  /** False only for a last line that no line break ends: a writer may still have been writing it. */
  terminated: boolean;
}

/** Consecutive lines: `texts[i]` is line number `first + i`. */
export interface LineBatch {
  texts: string[];
  first: number;
  /** False only for the text's last line when no line break ends it, which then comes alone. */
  terminated: boolean;
}

/**
 * Splits text chunks into lines (LF or CRLF), all the lines a chunk completes at once: a file of millions of lines
 * costs one step of the async pipeline per chunk, not per line. Line breaks are searched in the chunk itself, never
 * in the leftover of the previous chunk joined to it: V8 searches a joined (cons) string several times slower.
 * A leading byte order mark is dropped.
 */
export async function* splitLineBatches(chunks: AsyncIterable<string>): AsyncGenerator<LineBatch> {
  let pending = '';
  let number = 1;
  let first = true;
  for await (let chunk of chunks) {
    if (first && chunk.length > 0) {
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
      first = false;
    }
    let end = chunk.indexOf('\n');
    if (end === -1) {
      pending += chunk;
      continue;
    }
    const texts = [trimCr(pending + chunk.slice(0, end))];
    let start = end + 1;
    for (end = chunk.indexOf('\n', start); end !== -1; end = chunk.indexOf('\n', start)) {
      texts.push(trimCr(chunk.slice(start, end)));
      start = end + 1;
    }
    pending = chunk.slice(start);
    yield { texts, first: number, terminated: true };
    number += texts.length;
  }
  if (pending !== '') yield { texts: [trimCr(pending)], first: number, terminated: false };
}

/** The lines of `splitLineBatches`, one at a time. */
export async function* splitLines(chunks: AsyncIterable<string>): AsyncGenerator<Line> {
  for await (const { texts, first, terminated } of splitLineBatches(chunks)) {
    for (const [index, text] of texts.entries()) yield { text, number: first + index, terminated };
  }
}

const trimCr = (line: string) => (line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line);
