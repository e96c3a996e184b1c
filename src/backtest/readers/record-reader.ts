import type { ConnectionEvent } from '../../contracts/connection-event.js';
import { InputError } from '../input-error.js';
import type { ReadConnection } from '../sighting.js';

/** Where a record sits: a line of a text file, or a row of a JSON document or CSV. */
export interface RecordPosition {
  entry: string;
  line?: number;
  /** 0-based index in a JSON document's result rows. */
  row?: number;
}

/** Turns the records of one format into connection events. */
export interface RecordReader {
  /**
   * The event this record is, if it is a connection; undefined for records the reader holds back or skips. Readers
   * made with a `sightingsBefore` time may give only the sighting of a record before it.
   */
  read(record: unknown, at: RecordPosition): ReadConnection | undefined;
  /** Events held back until the whole entry was read (e.g. waiting for a join). */
  finish(): ConnectionEvent[];
  /** Records that were valid but are not connections this tool judges (other event ids, inspections). */
  readonly skipped: number;
  /** `skipped` by reason, from readers whose records are skipped for more than one reason. */
  readonly skipReasons?: ReadonlyMap<string, number>;
}

export function recordError(at: RecordPosition, problem: string): InputError {
  return new InputError(at.entry, at.row === undefined ? problem : `row ${at.row}: ${problem}`, at.line);
}

/** A stable id for records that carry none: where they sit in the input. */
export const positionId = (at: RecordPosition): string => `${at.entry}#${at.line ?? `row${at.row ?? 0}`}`;
