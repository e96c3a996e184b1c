/** What an entry that ends early lost. */
export interface CutOff {
  /** Why the entry ends early. */
  reason: string;
  /** The line of the partial last record that was dropped (where the record ends, for CSV). */
  line?: number;
  /** Its size in bytes of text. */
  bytes?: number;
}

/** A plain file whose last line has no line break and does not parse: the writer was still writing it. */
export const UNFINISHED_LINE = 'the last line is incomplete (the file was copied while it was being written?)';

/** The warning for an entry read up to a cut: which entry, why, what was read and what was dropped. */
export function cutOffWarning(entry: string, records: number, cut: CutOff): string {
  const dropped = cut.line === undefined ? '' : `; the partial record at line ${cut.line} (${cut.bytes ?? 0} bytes) was not read`;
  return `${entry}: ${cut.reason}; ${records} records before the cut were read${dropped}`;
}
