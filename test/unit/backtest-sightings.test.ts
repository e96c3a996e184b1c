import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BaselineRows } from '../../src/backtest/baseline-rows.js';
import { CoverageTracker } from '../../src/backtest/coverage.js';
import { readTelemetryBatches } from '../../src/backtest/input/read-file.js';
import { SysmonProcesses } from '../../src/backtest/readers/sysmon-processes.js';
import { isWholeEvent, type ReadConnection } from '../../src/backtest/sighting.js';
import { createHostMatcher } from '../../src/contracts/host-identity.js';

const dir = mkdtempSync(join(tmpdir(), 'cw-sightings-'));

async function readAll(path: string, sightingsBefore?: number): Promise<ReadConnection[]> {
  const read: ReadConnection[] = [];
  const context = sightingsBefore === undefined ? { processes: new SysmonProcesses() } : { processes: new SysmonProcesses(), sightingsBefore };
  for await (const batch of readTelemetryBatches(path, context, [])) read.push(...batch);
  return read;
}

/** What a backtest keeps of pre-block records: the baseline rows and the sources' coverage. */
function folded(read: readonly ReadConnection[]) {
  const rows = new BaselineRows(createHostMatcher([{ hostname: 'FIN-WS-042', baseline: 'ready' as const }]));
  const coverage = new CoverageTracker();
  for (const event of read) {
    rows.add(event);
    coverage.seen(event);
  }
  return { rows: rows.entries(), coverage: coverage.list() };
}

/** One of `values` for record `index`, spread so that the fields of a record vary independently of each other. */
const pick = <T>(values: readonly T[], index: number, field: number): T => values[((Math.imul(index + 1, 0x9e3779b1) ^ Math.imul(field + 1, 0x85ebca6b)) >>> 11) % values.length]!;
const START = Date.parse('2026-03-09T00:00:00Z');

/** Defender rows that vary every field the baseline reads, and leave some out. */
function defenderRows(count: number) {
  return Array.from({ length: count }, (_, index) => {
    const deviceId = pick(['3f1c0e7d2a9b4c55a1e0c2b7d9f31a6e8b4c2d10', '', 'aa11'], index, 1);
    return {
      Timestamp: new Date(START + index * 7 * 60_000).toISOString().replace('Z', '1234Z'),
      DeviceId: deviceId,
      // A row names its device by name, id or both.
      DeviceName: deviceId === '' ? 'fin-ws-042' : pick(['fin-ws-042.corp.example', 'FIN-WS-043', ''], index, 2),
      ActionType: pick(['ConnectionSuccess', 'ConnectionFailed', 'InboundConnectionAccepted', 'ListeningConnectionCreated', 'ConnectionRequest', 'IcmpConnectionInspected'], index, 3),
      RemoteIP: pick(['192.0.2.44', '2001:db8::7', '10.20.1.1', ''], index, 4),
      RemotePort: pick([8443, 443, 53, ''], index, 5),
      RemoteUrl: pick(['', 'https://update.example.com/x?y=1', 'cdn.example.net'], index, 6),
      LocalIP: pick(['10.20.1.42', '', '10.20.1.43'], index, 7),
      LocalPort: 50_000 + index,
      Protocol: pick(['TcpV4', 'Udp', 'Icmp', 'Unknown'], index, 8),
      InitiatingProcessFileName: pick(['OneDrive.exe', 'svchost.exe', '', 'rundll32.exe'], index, 9),
      InitiatingProcessFolderPath: pick(['c:\\program files\\onedrive\\onedrive.exe', 'c:\\windows\\system32', '', 'c:\\windows\\system32\\rundll32.exe'], index, 10),
      InitiatingProcessSHA1: pick(['9a3b7c7e5d4b8f2a1c6e0d9f8b7a6c5d4e3f2a1b', ''], index, 11),
      InitiatingProcessId: 4000 + index,
      InitiatingProcessCommandLine: `cmd ${index}`,
      InitiatingProcessAccountName: 'chloe',
      InitiatingProcessAccountDomain: 'corp',
      InitiatingProcessCreationTime: '2026-03-08T23:00:00Z',
      ReportId: index,
    };
  });
}

const SYSMON = 'Microsoft-Windows-Sysmon/Operational';

/** A Sysmon log as NXLog writes it: process creations, their connections, and WFP events of some of the same sockets. */
function sysmonLines(count: number): string[] {
  const lines: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const time = new Date(START + index * 7 * 60_000).toISOString().replace('T', ' ').replace('Z', '');
    const guid = `{b34bc01c-add5-5f66-2210-00000000040${index % 4}}`;
    const host = pick(['FIN-WS-042.corp.example', 'FIN-WS-043.corp.example', 'ws9'], index, 12);
    const image = pick(['C:\\Windows\\System32\\rundll32.exe', 'C:\\Program Files\\Agent\\agent.exe', 'System', '<unknown process>'], index, 13);
    if (index % 5 === 0) {
      lines.push(JSON.stringify({ EventID: 1, Channel: SYSMON, Hostname: host, RecordNumber: index, ProcessGuid: guid, Image: image, CommandLine: `${image} /${index}`, ParentImage: 'C:\\Windows\\explorer.exe', User: 'CORP\\chloe', Hashes: `SHA1=${String(index % 4).repeat(40)},MD5=4E481FD8FB0F3BDEE93ABF6D3C614EB7`, UtcTime: time }));
    }
    const [dstIp, dstPort] = pick([['192.0.2.44', '8443'], ['10.20.1.1', '53'], ['2001:db8::7', '443']], index, 14);
    const connection = { EventID: 3, Channel: SYSMON, Hostname: host, RecordNumber: 10_000 + index, ProcessGuid: guid, Image: image, User: 'CORP\\chloe', Protocol: pick(['tcp', 'udp'], index, 15), Initiated: pick(['true', 'false', 'true'], index, 16), SourceIp: '10.20.1.42', SourcePort: String(50_000 + index), DestinationIp: dstIp, DestinationHostname: pick(['-', 'cdn.example.net'], index, 17), DestinationPort: dstPort, UtcTime: time };
    lines.push(JSON.stringify(connection));
    if (index % 3 === 0) {
      const eventTime = time.slice(0, 19);
      lines.push(JSON.stringify({ EventID: 5156, Channel: 'Security', Hostname: host, Direction: '%%14593', Protocol: connection.Protocol === 'tcp' ? '6' : '17', SourceAddress: '10.20.1.42', SourcePort: connection.SourcePort, DestAddress: index % 6 === 0 ? dstIp : '198.51.100.9', DestPort: dstPort, Application: '\\device\\harddiskvolume2\\windows\\system32\\rundll32.exe', EventTime: eventTime }));
    }
  }
  return lines;
}

const csv = (rows: ReturnType<typeof defenderRows>) => {
  const columns = Object.keys(rows[0]!);
  const cell = (value: unknown) => `"${String(value).replaceAll('"', '""')}"`;
  return [columns.join(','), ...rows.map((row) => columns.map((column) => cell(row[column as keyof typeof row])).join(','))].join('\n');
};

describe('a record read as a sighting gives the baseline and coverage exactly what its whole event gives', () => {
  const files: Record<string, string> = {
    'defender.jsonl': defenderRows(60).map((row) => JSON.stringify(row)).join('\n'),
    'defender.csv': csv(defenderRows(60)),
    'defender-document.json': JSON.stringify({ results: defenderRows(60) }),
    'sysmon.jsonl': sysmonLines(60).join('\n'),
  };
  for (const [name, content] of Object.entries(files)) {
    it(name, async () => {
      const path = join(dir, name);
      writeFileSync(path, content);
      const whole = await readAll(path);
      const sightings = await readAll(path, Number.POSITIVE_INFINITY);
      expect(whole.every(isWholeEvent)).toBe(true);
      // The sightings were read as such: no id, no command line.
      expect(sightings.filter((read) => !isWholeEvent(read)).length).toBeGreaterThan(sightings.length / 2);
      expect(sightings).toHaveLength(whole.length);
      expect(folded(sightings)).toEqual(folded(whole));
      expect(folded(whole).rows.length).toBeGreaterThan(10);
    });
  }

  it('reads records from the given time on whole, and those before it as sightings', async () => {
    const path = join(dir, 'split.jsonl');
    writeFileSync(path, defenderRows(20).map((row) => JSON.stringify(row)).join('\n'));
    const from = START + 10 * 7 * 60_000;
    const read = await readAll(path, from);
    expect(read.map((event) => isWholeEvent(event))).toEqual(read.map((event) => event.time >= from));
    expect(read.filter(isWholeEvent).map((event) => event.process?.cmd_line)).toEqual(expect.arrayContaining(['cmd 10', 'cmd 19']));
  });

  it('refuses a bad number in a record before that time as in any other', async () => {
    const path = join(dir, 'bad.jsonl');
    writeFileSync(path, [...defenderRows(3), { ...defenderRows(4)[3], InitiatingProcessId: 'x7' }].map((row) => JSON.stringify(row)).join('\n'));
    await expect(readAll(path, Number.POSITIVE_INFINITY)).rejects.toThrow(/line 4: InitiatingProcessId: not a valid number/);
  });
});
