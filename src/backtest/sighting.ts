import type { ConnectionEvent } from '../contracts/connection-event.js';

type Process = NonNullable<ConnectionEvent['process']>;

/**
 * What a record from before the block adds to a backtest: a baseline row and its source's coverage. Readers hand
 * these on for such records (`ReadContext.sightingsBefore`) instead of whole events: the details only a judged event
 * needs (id, command line, user, parent, start time, source port) are left unread, and they were most of a reader's
 * work on an export that is mostly history. A reader builds both from the same fields, so a sighting is exactly what
 * the whole event would have given the baseline; every connection event is a sighting too.
 */
export type Sighting = Pick<ConnectionEvent, 'source' | 'time' | 'device' | 'dst_endpoint' | 'protocol' | 'direction'> & {
  process?: Pick<Process, 'path' | 'name' | 'sha1'>;
};

/** What a reader hands on for a record: the whole event, or its sighting. */
export type ReadConnection = ConnectionEvent | Sighting;

/** Whether a reader gave the whole event (every record from `sightingsBefore` on is one). */
export const isWholeEvent = (read: ReadConnection): read is ConnectionEvent => 'id' in read;
