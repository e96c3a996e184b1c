import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { ConnectionEvent } from '../../src/contracts/connection-event.js';
import type { TelemetryFormat } from '../scenario.js';
import { mdeCsvLines, mdeGraphJson } from './mde.js';
import { sysmonWinlogbeatLines } from './sysmon.js';
import { zeekConnLines } from './zeek.js';

function* connectionEventLines(events: Iterable<ConnectionEvent>): Generator<string> {
  for (const event of events) yield JSON.stringify(event);
}

const WRITERS: Record<Exclude<TelemetryFormat, 'in-memory'>, (events: Iterable<ConnectionEvent>) => Iterable<string>> = {
  'connection-events': connectionEventLines,
  'mde-csv': mdeCsvLines,
  'mde-json': mdeGraphJson,
  'sysmon-winlogbeat': sysmonWinlogbeatLines,
  'zeek-conn': zeekConnLines,
};

/** Writes events as a telemetry file of `format`, as the product that format comes from would have exported them. */
export async function writeTelemetry(path: string, format: Exclude<TelemetryFormat, 'in-memory'>, events: Iterable<ConnectionEvent>): Promise<void> {
  const out = createWriteStream(path);
  for (const line of WRITERS[format](events)) {
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}
