import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionEvent } from '../../src/contracts/connection-event.js';
import type { EntryStats } from '../../src/backtest/input/read-entry.js';
import { readTelemetryFile } from '../../src/backtest/input/read-file.js';
import { SysmonProcesses } from '../../src/backtest/readers/sysmon-processes.js';

const dir = mkdtempSync(join(tmpdir(), 'cw-telemetry-'));

/** Writes `content` as a file called `name` and reads it as the backtest does: its events and its entries' stats. */
export async function readTelemetryFixture(name: string, content: Uint8Array | string): Promise<{ events: ConnectionEvent[]; stats: EntryStats[] }> {
  const path = join(dir, name);
  writeFileSync(path, content);
  const stats: EntryStats[] = [];
  const events: ConnectionEvent[] = [];
  for await (const event of readTelemetryFile(path, { processes: new SysmonProcesses() }, stats)) events.push(event);
  return { events, stats };
}
