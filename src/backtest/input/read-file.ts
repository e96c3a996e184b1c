import type { ConnectionEvent } from '../../contracts/connection-event.js';
import { openTextEntries } from './open-text.js';
import { readEntry, type EntryStats, type ReadContext } from './read-entry.js';

/** Every connection event of a telemetry file (all members of a zip); one `EntryStats` per entry is appended. */
export async function* readTelemetryFile(path: string, context: ReadContext, stats: EntryStats[]): AsyncGenerator<ConnectionEvent> {
  for await (const entry of openTextEntries(path)) {
    const entryStats: EntryStats = { entry: entry.name, format: 'unknown', records: 0, events: 0, skipped: 0 };
    stats.push(entryStats);
    yield* readEntry(entry, context, entryStats);
  }
}
