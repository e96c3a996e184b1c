/** A line of text and its 1-based number in its entry. */
export interface Line {
  text: string;
  number: number;
  /** False only for a last line that no line break ends: a writer may still have been writing it. */
  terminated: boolean;
}

/** Splits text chunks into lines (LF or CRLF); a leading byte order mark is dropped. */
export async function* splitLines(chunks: AsyncIterable<string>): AsyncGenerator<Line> {
  let pending = '';
  let number = 0;
  let first = true;
  for await (const chunk of chunks) {
    let text = pending + chunk;
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      number += 1;
      yield { text: trimCr(text.slice(start, end)), number, terminated: true };
      start = end + 1;
    }
    pending = text.slice(start);
  }
  if (pending !== '') yield { text: trimCr(pending), number: number + 1, terminated: false };
}

const trimCr = (line: string) => (line.endsWith('\r') ? line.slice(0, -1) : line);
