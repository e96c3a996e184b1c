import type { ConnectionEvent } from '../../contracts/connection-event.js';
import { InputError } from '../input-error.js';
import { isWholeEvent, type ReadConnection } from '../sighting.js';
import { openTextEntries } from './open-text.js';
import { readEntry, type EntryStats, type ReadContext } from './read-entry.js';

/**
 * Every connection event of a telemetry file (all members of a zip), in batches as they are read; one `EntryStats`
 * per entry is appended. A file cut off at its end is read up to the cut; it is refused only when nothing before
 * the cut could be read.
 */
export async function* readTelemetryBatches(path: string, context: ReadContext, stats: EntryStats[]): AsyncGenerator<ReadConnection[]> {
  const ofFile: EntryStats[] = [];
  for await (const entry of openTextEntries(path)) {
    const entryStats: EntryStats = { entry: entry.name, format: 'unknown', records: 0, events: 0, skipped: 0 };
    stats.push(entryStats);
    ofFile.push(entryStats);
    yield* readEntry(entry, context, entryStats);
  }
  const cut = ofFile.find((entry) => entry.cut_off !== undefined);
  if (cut?.cut_off && ofFile.every((entry) => entry.records === 0)) {
    throw new InputError(cut.entry, `${cut.cut_off.reason}: nothing readable before the cut`, cut.cut_off.line);
  }
}

/** The events of `readTelemetryBatches`, one at a time, every record read whole. */
export async function* readTelemetryFile(path: string, context: Omit<ReadContext, 'sightingsBefore'>, stats: EntryStats[]): AsyncGenerator<ConnectionEvent> {
  for await (const events of readTelemetryBatches(path, context, stats)) {
    for (const event of events) {
      if (!isWholeEvent(event)) throw new Error(`${path}: a reader gave a sighting though none was asked for`);
      yield event;
    }
  }
}
