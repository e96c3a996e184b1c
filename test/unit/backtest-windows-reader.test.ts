import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { ConnectionEvent } from '../../src/contracts/connection-event.js';
import { readTelemetryFile } from '../../src/backtest/input/read-file.js';
import type { EntryStats } from '../../src/backtest/input/read-entry.js';
import { SysmonProcesses } from '../../src/backtest/readers/sysmon-processes.js';
import { firstPassLineStarts, mayMatterToFirstPass } from '../../src/backtest/readers/windows-events.js';

const dir = mkdtempSync(join(tmpdir(), 'cw-windows-'));

async function read(name: string, lines: readonly unknown[]): Promise<{ events: ConnectionEvent[]; stats: EntryStats[] }> {
  const path = join(dir, name);
  writeFileSync(path, lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n'));
  const stats: EntryStats[] = [];
  const events: ConnectionEvent[] = [];
  for await (const event of readTelemetryFile(path, { processes: new SysmonProcesses() }, stats)) events.push(event);
  return { events, stats };
}

const SYSMON = 'Microsoft-Windows-Sysmon/Operational';
const GUID = '{b34bc01c-add5-5f66-2210-000000000400}';

/** Lines as OTRF Security-Datasets has them: NXLog fields at the top level, Logstash's ingest @timestamp. */
const nxlogProcessCreate = {
  EventID: 1,
  Channel: SYSMON,
  Hostname: 'WORKSTATION5.theshire.local',
  RecordNumber: 1819000,
  ProcessGuid: GUID,
  Image: 'C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\InstallUtil.exe',
  CommandLine: 'C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\InstallUtil.exe  /logfile= /LogToConsole=false /u c:\\ProgramData\\GruntHTTP.dll',
  ParentImage: 'C:\\Windows\\System32\\cmd.exe',
  User: 'THESHIRE\\pgustavo',
  Hashes: [
    'SHA1=BE9360E88838D064C2A13E8F154FD79D3B8BA0E1',
    'MD5=4E481FD8FB0F3BDEE93ABF6D3C614EB7',
    'SHA256=9E8EB9A066BCC4DCC56AED56B73688922B5F921901938D8C02817D5390543585',
    'IMPHASH=00000000000000000000000000000000',
  ].join(','),
  UtcTime: '2020-09-20 01:18:13.416',
  EventTime: '2020-09-19 21:18:13',
  EventReceivedTime: '2020-09-19 21:18:13',
  '@timestamp': '2020-09-20T01:18:13.927Z',
};
const nxlogConnection = {
  EventID: 3,
  Channel: SYSMON,
  Hostname: 'WORKSTATION5.theshire.local',
  RecordNumber: 1819168,
  ProcessGuid: GUID,
  Image: 'C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\InstallUtil.exe',
  User: 'THESHIRE\\pgustavo',
  Protocol: 'tcp',
  Initiated: 'true',
  SourceIp: '172.18.39.5',
  SourcePort: '63102',
  DestinationIp: '10.10.10.5',
  DestinationHostname: '-',
  DestinationPort: '80',
  UtcTime: '2020-09-20 01:18:16.318',
  EventTime: '2020-09-19 21:18:16',
  EventReceivedTime: '2020-09-19 21:18:17',
  '@timestamp': '2020-09-20T01:18:17.044Z',
};
const socket = (source: string, destination: string) => {
  const [SourceAddress, SourcePort] = source.split(':');
  const [DestAddress, DestPort] = destination.split(':');
  return { SourceAddress, SourcePort, DestAddress, DestPort };
};
const wfp = (fields: Record<string, unknown>) => ({
  EventID: 5156,
  Channel: 'Security',
  Hostname: 'WORKSTATION5.theshire.local',
  Direction: '%%14593',
  Protocol: '6',
  EventTime: '2020-09-19 21:17:07',
  EventReceivedTime: '2020-09-19 21:17:09',
  '@timestamp': '2020-09-20T01:17:09.386Z',
  ...fields,
});

describe('Sysmon and Security events in the OTRF (NXLog/Logstash) shape', () => {
  it('joins a network connection with its process creation for command line, hashes, parent and user', async () => {
    const { events, stats } = await read('otrf.json', [nxlogConnection, { EventID: 10, Channel: SYSMON, Hostname: 'x' }, nxlogProcessCreate]);
    expect(events).toEqual([
      {
        id: 'sysmon:WORKSTATION5.theshire.local:1819168',
        source: 'sysmon',
        time: Date.parse('2020-09-20T01:18:16.318Z'),
        device: { hostname: 'WORKSTATION5.theshire.local', ip: '172.18.39.5' },
        process: {
          path: 'C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\InstallUtil.exe',
          user: 'THESHIRE\\pgustavo',
          cmd_line: nxlogProcessCreate.CommandLine,
          sha1: 'be9360e88838d064c2a13e8f154fd79d3b8ba0e1',
          sha256: '9e8eb9a066bcc4dcc56aed56b73688922b5f921901938d8c02817d5390543585',
          parent_name: 'cmd.exe',
          parent_path: 'C:\\Windows\\System32\\cmd.exe',
          started_at: Date.parse('2020-09-20T01:18:13.416Z'),
        },
        src_endpoint: { ip: '172.18.39.5', port: 63102 },
        dst_endpoint: { ip: '10.10.10.5', port: 80 },
        protocol: 'tcp',
        direction: 'outbound',
        outcome: 'unknown',
      },
    ]);
    expect(stats[0]).toMatchObject({ format: 'windows-events (JSON lines)', records: 3, events: 1, skipped: 1 });
  });

  it('reads WFP 5156 in the collector local time, corrected by the Logstash receive time, with drive paths', async () => {
    const { events } = await read('wfp.json', [
      wfp({ RecordNumber: 7, Application: '\\device\\harddiskvolume2\\windowsazure\\guestagent\\waappagent.exe', ...socket('172.18.39.5:63095', '168.63.129.16:80') }),
      wfp({ RecordNumber: 8, EventID: 5157, Protocol: '17', Application: '\\device\\harddiskvolume4\\users\\public\\x.exe', ...socket('172.18.39.5:5000', '198.51.100.53:53') }),
      wfp({ RecordNumber: 9, Direction: '%%14592', Application: 'System', ...socket('172.18.39.6:54102', '172.18.39.5:445') }),
    ]);
    const summary = events.map((event) => [event.time, event.process?.path ?? event.process?.name, event.protocol, event.direction, event.outcome]);
    expect(summary).toEqual([
      [Date.parse('2020-09-20T01:17:07Z'), 'C:\\windowsazure\\guestagent\\waappagent.exe', 'tcp', 'outbound', 'unknown'],
      [Date.parse('2020-09-20T01:17:07Z'), 'C:\\users\\public\\x.exe', 'udp', 'outbound', 'blocked'],
      [Date.parse('2020-09-20T01:17:07Z'), 'System', 'tcp', 'inbound', 'unknown'],
    ]);
  });

  it('reads the ICMP type and code of an outbound WFP event from its ports, as the OTRF recordings have them', async () => {
    const { events } = await read('wfp-icmp.json', [
      // An ICMPv6 router solicitation (type 133, code 0) the host sent.
      wfp({ RecordNumber: 11, Protocol: '58', Application: 'System', SourceAddress: 'fe80::408d:89f7:f18b:7a72', SourcePort: '133', DestAddress: 'ff02::2', DestPort: '0' }),
      wfp({ RecordNumber: 12, Protocol: '1', Direction: '%%14592', Application: 'System', ...socket('198.51.100.7:8', '172.18.39.5:0') }),
    ]);
    expect(events.map((event) => [event.protocol, event.icmp, event.src_endpoint?.port, event.dst_endpoint.port])).toEqual([
      ['icmpv6', { type: 133, code: 0 }, undefined, undefined],
      ['icmp', undefined, undefined, undefined],
    ]);
  });

  it('keeps one event per socket when Sysmon and WFP both logged it', async () => {
    const { events, stats } = await read('both.json', [
      wfp({
        RecordNumber: 1,
        EventTime: '2020-09-19 21:18:14',
        Application: '\\device\\harddiskvolume2\\windows\\microsoft.net\\framework64\\v4.0.30319\\installutil.exe',
        ...socket('172.18.39.5:63102', '10.10.10.5:80'),
      }),
      nxlogConnection,
    ]);
    expect(events.map((event) => event.source)).toEqual(['sysmon']);
    expect(stats[0]?.skipped).toBe(1);
  });

  it('marks Sysmon connections the host did not initiate as inbound', async () => {
    const { events } = await read('inbound.json', [{ ...nxlogConnection, Initiated: 'false', SourceIp: '172.18.39.6', DestinationIp: '172.18.39.5' }]);
    expect(events[0]).toMatchObject({ direction: 'inbound', device: { hostname: 'WORKSTATION5.theshire.local' } });
    expect(events[0]?.device.ip).toBeUndefined();
  });
});

describe('Sysmon events as winlogbeat ships them', () => {
  const winlogbeat = (eventId: string, data: Record<string, string>, extra: Record<string, unknown> = {}) => ({
    '@timestamp': '2026-03-10T09:00:05.120Z',
    event: { code: eventId, provider: 'Microsoft-Windows-Sysmon', kind: 'event' },
    host: { name: 'fin-ws-042' },
    winlog: { channel: SYSMON, event_id: eventId, computer_name: 'FIN-WS-042.corp.example', record_id: 77, event_data: data },
    ...extra,
  });

  it('reads event_data under winlog, with the event id as a string', async () => {
    const { events } = await read('winlogbeat.jsonl', [
      winlogbeat('1', {
        ProcessGuid: '{A}',
        Image: 'C:\\Users\\Public\\u.exe',
        CommandLine: 'u.exe',
        Hashes: `SHA1=${'A'.repeat(40)}`,
        ParentImage: 'C:\\Windows\\explorer.exe',
      }),
      winlogbeat('3', {
        ProcessGuid: '{a}',
        ProcessId: '4242',
        Image: 'C:\\Users\\Public\\u.exe',
        Protocol: 'tcp',
        Initiated: 'true',
        SourceIp: '10.20.1.42',
        SourcePort: '50123',
        DestinationIp: '192.0.2.44',
        DestinationHostname: 'cdn.example',
        DestinationPort: '8443',
        UtcTime: '2026-03-10 09:00:05.118',
      }),
    ]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      id: 'sysmon:FIN-WS-042.corp.example:77',
      time: Date.parse('2026-03-10T09:00:05.118Z'),
      process: { path: 'C:\\Users\\Public\\u.exe', pid: 4242, cmd_line: 'u.exe', sha1: 'a'.repeat(40), parent_name: 'explorer.exe' },
      dst_endpoint: { ip: '192.0.2.44', port: 8443, hostname: 'cdn.example' },
    });
  });

  it('falls back to the ECS fields an ingest pipeline moved out of event_data, and to @timestamp', async () => {
    const { events } = await read('ecs.jsonl', [
      {
        '@timestamp': '2026-03-10T09:01:00.000Z',
        event: { code: '3', provider: 'Microsoft-Windows-Sysmon' },
        winlog: { channel: SYSMON, computer_name: 'FIN-WS-042.corp.example', record_id: '78' },
        host: { name: 'FIN-WS-042' },
        process: { executable: 'C:\\Windows\\System32\\rundll32.exe', entity_id: '{B}', pid: 900 },
        user: { name: 'bernard', domain: 'CORP' },
        source: { ip: '10.20.1.42', port: 50999 },
        destination: { ip: '203.0.113.9', port: 443 },
        network: { transport: 'tcp', direction: 'egress' },
      },
    ]);
    expect(events[0]).toMatchObject({
      time: Date.parse('2026-03-10T09:01:00.000Z'),
      device: { hostname: 'FIN-WS-042.corp.example', ip: '10.20.1.42' },
      process: { path: 'C:\\Windows\\System32\\rundll32.exe', pid: 900, user: 'CORP\\bernard' },
      dst_endpoint: { ip: '203.0.113.9', port: 443 },
      direction: 'outbound',
    });
  });
});

describe('Sysmon exported from Splunk', () => {
  /** A line of Splunk's JSON export: the Windows add-on's field names inside `result`. */
  const splunkLine = (eventCode: string, fields: Record<string, unknown>) => ({
    preview: false,
    result: {
      _time: '2020-09-20T01:18:17.000+00:00',
      source: `XmlWinEventLog:${SYSMON}`,
      sourcetype: 'XmlWinEventLog',
      host: 'WORKSTATION5',
      Computer: 'WORKSTATION5.theshire.local',
      EventCode: eventCode,
      ...fields,
    },
  });
  const { EventID: _id1, Channel: _c1, Hostname: _h1, EventTime: _e1, EventReceivedTime: _r1, '@timestamp': _t1, ...processFields } = nxlogProcessCreate;
  const { EventID: _id3, Channel: _c3, Hostname: _h3, EventTime: _e3, EventReceivedTime: _r3, '@timestamp': _t3, ...connectionFields } = nxlogConnection;

  it('reads the export lines into the same connection as the OTRF shape, process joined', async () => {
    const otrf = await read('otrf-pair.json', [nxlogConnection, nxlogProcessCreate]);
    const splunk = await read('splunk-export.json', [splunkLine('3', connectionFields), splunkLine('10', { ProcessGuid: GUID }), splunkLine('1', processFields)]);
    expect(splunk.events).toEqual(otrf.events);
    expect(splunk.stats[0]).toMatchObject({ format: 'windows-events (JSON lines)', records: 3, events: 1, skipped: 1 });

    const results = [splunkLine('3', connectionFields).result, splunkLine('1', processFields).result];
    const document = await read('splunk-results.json', [JSON.stringify({ preview: false, init_offset: 0, messages: [], fields: [], results })]);
    expect(document.events).toEqual(otrf.events);
  });

  it('tells Sysmon from the Security log by the Splunk source, without a Channel field', async () => {
    const security = splunkLine('3', connectionFields);
    security.result.source = 'WinEventLog:Security';
    const { events } = await read('splunk-security.json', [security]);
    expect(events).toEqual([]);
  });
});

describe('hostile or broken Windows events', () => {
  it('names the file and line of a port that is not a port', async () => {
    await expect(read('bad-port.json', [nxlogProcessCreate, { ...nxlogConnection, DestinationPort: '99999' }])).rejects.toThrow(
      /bad-port\.json line 2: DestinationPort: not a port number/,
    );
  });

  it('names the line of a connection without a usable time', async () => {
    await expect(read('bad-time.json', [{ ...nxlogConnection, UtcTime: 'yesterday', '@timestamp': undefined }])).rejects.toThrow(
      /bad-time\.json line 1: UtcTime: missing or not a date-time/,
    );
  });

  it('names the line that is not JSON at all', async () => {
    await expect(read('broken.json', [nxlogProcessCreate, '{"EventID":3,"Channel":"Microsoft-Windows-Sysmon/Oper', nxlogConnection])).rejects.toThrow(
      /broken\.json line 2: not valid JSON/,
    );
  });

  it('keeps telemetry text as text: prototype keys, control characters and markup do not change the event', async () => {
    const { events } = await read('hostile.json', [
      JSON.stringify({ ...nxlogConnection, constructor: 'x', Image: 'C:\\Temp\\<@channel>|`x`\u0007.exe' }).replace('{', '{"__proto__":{"polluted":true},'),
    ]);
    expect(events[0]?.process?.path).toBe('C:\\Temp\\<@channel>|`x`\u0007.exe');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('NXLog writes the XML text of event fields: entities are decoded, an unknown process names none', () => {
  it('decodes XML entities in the fields of NXLog records, and leaves none unread', async () => {
    const { events } = await read('entities.json', [
      {
        ...nxlogProcessCreate,
        CommandLine: 'cmd.exe /c echo &lt;x&gt; &amp;&amp; type &quot;a b&quot; &#39;c&#39; &#x41;&#66; &amp;lt; &#0; &#xD800;',
        ParentImage: 'C:\\Tools\\R&amp;D\\launcher.exe',
      },
      nxlogConnection,
    ]);
    expect(events[0]?.process).toMatchObject({
      cmd_line: 'cmd.exe /c echo <x> && type "a b" \'c\' AB &lt; &#0; &#xD800;',
      parent_path: 'C:\\Tools\\R&D\\launcher.exe',
      parent_name: 'launcher.exe',
    });
  });

  it('reads <unknown process> as no process name or path, escaped by NXLog or not, as image or as parent', async () => {
    const unknownCreate = { ...nxlogProcessCreate, ParentImage: '&lt;unknown process&gt;' };
    const unknownConnection = { ...nxlogConnection, RecordNumber: 2, ProcessGuid: '{00000000-0000-0000-0000-000000000000}', ProcessId: '4', Image: '&lt;unknown process&gt;' };
    const { events } = await read('unknown.json', [unknownCreate, nxlogConnection, unknownConnection]);
    expect(events.map((event) => event.process)).toEqual([
      expect.not.objectContaining({ parent_name: expect.anything() }),
      { pid: 4, user: 'THESHIRE\\pgustavo' },
    ]);
    expect(events[0]?.process).not.toHaveProperty('parent_path');

    const winlogbeat = {
      '@timestamp': '2026-03-10T09:00:05.120Z',
      winlog: {
        channel: SYSMON,
        event_id: 3,
        computer_name: 'FIN-WS-042',
        record_id: 9,
        event_data: { Image: '<unknown process>', Protocol: 'udp', Initiated: 'true', SourceIp: '10.20.1.42', DestinationIp: '192.0.2.9', UtcTime: '2026-03-10 09:00:05.118' },
      },
    };
    const ecs = await read('unknown-ecs.json', [winlogbeat]);
    expect(ecs.events[0]?.process).toEqual({});
  });

  it('leaves winlogbeat values as Windows gave them: they are not XML text', async () => {
    const { events } = await read('winlogbeat-amp.json', [
      {
        '@timestamp': '2026-03-10T09:00:05.120Z',
        winlog: {
          channel: SYSMON,
          event_id: 1,
          computer_name: 'FIN-WS-042',
          event_data: { ProcessGuid: '{C}', Image: 'C:\\x.exe', CommandLine: 'x.exe --q "a&amp;b"', UtcTime: '2026-03-10 09:00:01.000' },
        },
      },
      {
        '@timestamp': '2026-03-10T09:00:05.120Z',
        winlog: {
          channel: SYSMON,
          event_id: 3,
          computer_name: 'FIN-WS-042',
          record_id: 10,
          event_data: { ProcessGuid: '{C}', Image: 'C:\\x.exe', Protocol: 'tcp', Initiated: 'true', SourceIp: '10.20.1.42', DestinationIp: '192.0.2.9', UtcTime: '2026-03-10 09:00:05.118' },
        },
      },
    ]);
    expect(events[0]?.process?.cmd_line).toBe('x.exe --q "a&amp;b"');
  });

  it('decodes the fields of Splunk XmlWinEventLog exports, which are the text between the XML tags', async () => {
    const { EventID: _id, Channel: _c, Hostname: _h, EventTime: _e, EventReceivedTime: _r, '@timestamp': _t, ...fields } = nxlogConnection;
    const { events } = await read('splunk-unknown.json', [
      {
        preview: false,
        result: { _time: '2020-09-20T01:18:17.000+00:00', source: `XmlWinEventLog:${SYSMON}`, Computer: 'WORKSTATION5', EventCode: '3', ...fields, Image: '&lt;unknown process&gt;' },
      },
    ]);
    expect(events[0]?.process).toEqual({ user: 'THESHIRE\\pgustavo' });
  });
});

describe('lineage and start time of the connecting process', () => {
  it('takes the parent and the start time from the process creation, in every Sysmon shape', async () => {
    const ecsStart = (parent: Record<string, string>) => ({
      '@timestamp': '2026-03-10T09:00:01.250Z',
      event: { code: '1', provider: 'Microsoft-Windows-Sysmon' },
      winlog: { channel: SYSMON, computer_name: 'FIN-WS-042', record_id: '5' },
      process: { entity_id: '{D}', executable: 'C:\\Users\\Public\\u.exe', command_line: 'u.exe', parent },
    });
    const ecsConnection = {
      '@timestamp': '2026-03-10T09:00:05.000Z',
      event: { code: '3', provider: 'Microsoft-Windows-Sysmon' },
      winlog: { channel: SYSMON, computer_name: 'FIN-WS-042', record_id: '6' },
      process: { entity_id: '{D}', executable: 'C:\\Users\\Public\\u.exe' },
      source: { ip: '10.20.1.42', port: 50999 },
      destination: { ip: '203.0.113.9', port: 443 },
      network: { transport: 'tcp', direction: 'egress' },
    };
    const full = await read('ecs-parent.json', [ecsStart({ executable: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', name: 'powershell.exe' }), ecsConnection]);
    expect(full.events[0]?.process).toMatchObject({
      parent_path: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
      parent_name: 'powershell.exe',
      started_at: Date.parse('2026-03-10T09:00:01.250Z'),
    });
    const nameOnly = await read('ecs-parent-name.json', [ecsStart({ name: 'wmiprvse.exe' }), ecsConnection]);
    expect(nameOnly.events[0]?.process).toMatchObject({ parent_name: 'wmiprvse.exe' });
    expect(nameOnly.events[0]?.process).not.toHaveProperty('parent_path');
  });

  it('keeps a parent that an ECS pipeline put on the network event itself', async () => {
    const { events } = await read('ecs-enriched.json', [
      {
        '@timestamp': '2026-03-10T09:00:05.000Z',
        event: { code: '3', provider: 'Microsoft-Windows-Sysmon' },
        winlog: { channel: SYSMON, computer_name: 'FIN-WS-042', record_id: '7' },
        process: { executable: 'C:\\Users\\Public\\u.exe', parent: { executable: 'C:\\Windows\\explorer.exe' } },
        source: { ip: '10.20.1.42' },
        destination: { ip: '203.0.113.9', port: 443 },
        network: { transport: 'tcp', direction: 'egress' },
      },
    ]);
    expect(events[0]?.process).toEqual({ path: 'C:\\Users\\Public\\u.exe', parent_path: 'C:\\Windows\\explorer.exe', parent_name: 'explorer.exe' });
  });
});

describe('the first pass finds the lines of process creations and WFP events without parsing every line', () => {
  it('finds an event id of 1, 5156 or 5157 under every key and in every spelling the readers take, each line once, and not text that only quotes one', () => {
    const lines = [
      '{"EventID":1,"Channel":"x"}',
      '{"Channel":"x","EventID": 3}',
      '{"winlog":{"event_id":"5156","channel":"Security"}}',
      '{"event":{"code" : 5157 }}',
      '{"event.code":"1"}',
      '{"EventCode":"01","EventID":1}',
      '{"xcode":1,"EventIDs":1,"EventID":11}',
      '{"Image":"C:\\\\code\\\\EventID\\":1,"}',
      '{"EventCode":5158}',
    ];
    const text = `${lines.join('\n')}\n`;
    const found = firstPassLineStarts(text, 0, text.length).map((start) => text.slice(start, text.indexOf('\n', start)));
    expect(found).toEqual([lines[0], lines[2], lines[3], lines[4], lines[5]]);
    expect(lines.map(mayMatterToFirstPass)).toEqual([true, false, true, true, true, true, false, false, false]);
  });

  it('decodes the lines it finds as the reading pass does: UTF-8 across a read chunk, UTF-16, a byte order mark, in a file, a zip member or a gzip', async () => {
    const commandLine = 'C:\\Users\\jürgen\\下载\\grunt.exe -k 😀';
    const created = JSON.stringify({ ...nxlogProcessCreate, CommandLine: commandLine, ParentImage: 'C:\\Users\\jürgen\\ünpack.exe' });
    // A file-create event whose padding puts the process creation across the first 1 MiB read, its "ü" split there.
    const head = `\uFEFF${JSON.stringify({ EventID: 11, Channel: SYSMON, Hostname: 'WORKSTATION5' })}`;
    const fillerOf = (length: number) => JSON.stringify({ EventID: 11, Channel: SYSMON, Hostname: 'WORKSTATION5', TargetFilename: `C:\\Temp\\é${'x'.repeat(length)}` });
    const before = Buffer.byteLength(`${head}\n${fillerOf(0)}\n${created.slice(0, created.indexOf('ü'))}`);
    const text = [head, fillerOf((1 << 20) - 1 - before), created, JSON.stringify(nxlogConnection), ''].join('\n');
    const utf8 = Buffer.from(text);
    expect(utf8.indexOf(Buffer.from('ü'))).toBe((1 << 20) - 1);
    const files: Record<string, Uint8Array> = {
      'log.jsonl': utf8,
      'log.zip': zipSync({ 'other.jsonl': strToU8(`${JSON.stringify({ EventID: 11, Channel: SYSMON })}\n`), 'sysmon.jsonl': utf8 }),
      'log.jsonl.gz': gzipSync(utf8),
      'log-utf16.jsonl': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.slice(1), 'utf16le')]),
    };
    for (const [name, content] of Object.entries(files)) {
      const path = join(dir, name);
      writeFileSync(path, content);
      const events: ConnectionEvent[] = [];
      for await (const event of readTelemetryFile(path, { processes: new SysmonProcesses() }, [])) events.push(event);
      expect(events.map((event) => [event.process?.cmd_line, event.process?.parent_path]), name).toEqual([[commandLine, 'C:\\Users\\jürgen\\ünpack.exe']]);
    }
  });

  it('joins a connection with a process creation whose line spans several reads', async () => {
    const commandLine = `C:\\Tools\\run.exe ${'a'.repeat(1_500_000)}ü${'b'.repeat(1_500_000)}`;
    const { events } = await read('long-line.jsonl', [{ ...nxlogProcessCreate, CommandLine: commandLine }, nxlogConnection]);
    expect(events.map((event) => event.process?.cmd_line)).toEqual([commandLine]);
  });
});
