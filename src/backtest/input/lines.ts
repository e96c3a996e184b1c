/** A line of text and its 1-based number in its entry. */
export interface Line {
  text: string;
  number: number;
  /** False only for a last line that no line break ends: a writer may still have been writing it. */
  terminated: boolean;
}

/**
 * Splits text chunks into lines (LF or CRLF), all the lines a chunk completes at once: a file of millions of lines
 * costs one step of the async pipeline per chunk, not per line. A leading byte order mark is dropped.
 */
export async function* splitLineBatches(chunks: AsyncIterable<string>): AsyncGenerator<Line[]> {
  let pending = '';
  let number = 0;
  let first = true;
  for await (const chunk of chunks) {
    let text = pending + chunk;
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    const lines: Line[] = [];
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      number += 1;
      lines.push({ text: trimCr(text.slice(start, end)), number, terminated: true });
      start = end + 1;
    }
    pending = text.slice(start);
    if (lines.length > 0) yield lines;
  }
  if (pending !== '') yield [{ text: trimCr(pending), number: number + 1, terminated: false }];
}

/** The lines of `splitLineBatches`, one at a time. */
export async function* splitLines(chunks: AsyncIterable<string>): AsyncGenerator<Line> {
  for await (const lines of splitLineBatches(chunks)) yield* lines;
}

const trimCr = (line: string) => (line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line);
