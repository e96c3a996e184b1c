import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { ConnectionEvent } from '../../src/contracts/connection-event.js';
import type { EntryStats } from '../../src/backtest/input/read-entry.js';
import { readTelemetryBatches } from '../../src/backtest/input/read-file.js';
import { isWholeEvent } from '../../src/backtest/sighting.js';
import { utcTime } from '../../src/backtest/readers/fields.js';
import { SysmonProcesses } from '../../src/backtest/readers/sysmon-processes.js';
import { readTelemetryFixture } from '../helpers/telemetry-files.js';

const SYSMON = 'Microsoft-Windows-Sysmon/Operational';
const dir = mkdtempSync(join(tmpdir(), 'cw-streaming-'));

const connection = (record: number, guid: string) =>
  JSON.stringify({
    EventID: 3,
    Channel: SYSMON,
    Hostname: 'WS1.corp.local',
    RecordNumber: record,
    ProcessGuid: guid,
    Image: 'C:\\Users\\Public\\updater.exe',
    Protocol: 'tcp',
    Initiated: 'true',
    SourceIp: '10.0.0.5',
    SourcePort: String(50_000 + (record % 10_000)),
    DestinationIp: '198.51.100.7',
    DestinationPort: '443',
    UtcTime: '2026-03-10 09:00:00.000',
  });
const processCreate = (guid: string, commandLine: string) =>
  JSON.stringify({ EventID: 1, Channel: SYSMON, Hostname: 'WS1.corp.local', ProcessGuid: guid, Image: 'C:\\Users\\Public\\updater.exe', CommandLine: commandLine, UtcTime: '2026-03-10 08:59:00.000' });

describe('Windows logs read in two passes', () => {
  // A process creation after its connection; another on the first line, after a BOM, its event id as spaced text.
  const log = [
    `\uFEFF${processCreate('{b}', 'updater.exe --second').replace('"EventID":1', '"EventID" : "1"')}`,
    connection(1, '{a}'),
    connection(2, '{b}'),
    processCreate('{a}', 'updater.exe --first'),
  ].join('\r\n');
  const commandLines = (events: ConnectionEvent[]) => events.map((event) => event.process?.cmd_line);

  it('join connections with process creations logged after them, in a plain file, a .gz and a zip member', async () => {
    const member = new TextEncoder().encode(log);
    for (const [name, content] of [
      ['later.json', log],
      ['later.json.gz', gzipSync(log)],
      ['later.zip', zipSync({ 'other.json': new TextEncoder().encode(connection(9, '{c}')), 'sysmon.json': member })],
    ] as const) {
      const { events } = await readTelemetryFixture(name, content);
      expect(commandLines(events.filter((event) => event.id !== 'sysmon:WS1.corp.local:9')), name).toEqual(['updater.exe --first', 'updater.exe --second']);
    }
  });

  it('hand Sysmon connections on as the log is read, not all at its end', async () => {
    const path = join(dir, 'long.json');
    const lines = Array.from({ length: 20_000 }, (_, index) => connection(index, '{a}'));
    writeFileSync(path, [...lines, processCreate('{a}', 'updater.exe --long')].join('\n'));
    const stats: EntryStats[] = [];
    const batches: ConnectionEvent[][] = [];
    for await (const batch of readTelemetryBatches(path, { processes: new SysmonProcesses() }, stats)) batches.push(batch.filter(isWholeEvent));
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.flat()).toHaveLength(20_000);
    expect(new Set(commandLines(batches.flat()))).toEqual(new Set(['updater.exe --long']));
    expect(stats[0]).toMatchObject({ records: 20_001, events: 20_000, skipped: 0 });
  });
});

describe('utcTime', () => {
  it('reads ISO 8601 and Sysmon date-times to the millisecond, whatever the number of fraction digits', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 9 }),
        fc.constantFrom('T', ' ', 't'),
        fc.constantFrom('Z', 'z', ''),
        (date, digits, separator, zone) => {
          const fraction = digits === 0 ? '' : `.${String(date.getUTCMilliseconds()).padStart(3, '0')}987654`.slice(0, digits + 1);
          const text = `${date.toISOString().slice(0, 10)}${separator}${date.toISOString().slice(11, 19)}${fraction}${zone}`;
          const ms = digits === 0 ? 0 : Number(fraction.slice(1, 4).padEnd(3, '0'));
          expect(utcTime(text)).toBe(Math.floor(date.getTime() / 1000) * 1000 + ms);
        },
      ),
    );
  });

  it('reads zone offsets and refuses what is not a date-time', () => {
    expect(utcTime('2026-03-10T09:03:12+02:00')).toBe(Date.parse('2026-03-10T07:03:12Z'));
    expect(utcTime('2026-03-10T09:03:12.5 Z')).toBe(Date.parse('2026-03-10T09:03:12.500Z'));
    for (const text of ['2026-13-10T09:03:12Z', '2026-03-10T24:00:00Z', '2026-03-10T09:03:12.Z', '2026-03-10T09:03:12.1234567890Z', '2026-03-1a 09:03:12', '2026-03-10T09:03:12ZZ']) {
      expect(utcTime(text), text).toBeUndefined();
    }
  });
});
