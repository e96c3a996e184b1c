import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConnectionEvent } from '../../src/contracts/connection-event.js';
import type { EntryStats } from '../../src/backtest/input/read-entry.js';
import { readTelemetryFile } from '../../src/backtest/input/read-file.js';
import { SysmonProcesses } from '../../src/backtest/readers/sysmon-processes.js';

const dir = mkdtempSync(join(tmpdir(), 'cw-zeek-'));

async function readWithStats(name: string, lines: readonly string[]): Promise<{ events: ConnectionEvent[]; stats: EntryStats[] }> {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  const stats: EntryStats[] = [];
  const events: ConnectionEvent[] = [];
  for await (const event of readTelemetryFile(path, { processes: new SysmonProcesses() }, stats)) events.push(event);
  return { events, stats };
}
const read = async (name: string, lines: readonly string[]) => (await readWithStats(name, lines)).events;

/** conn.log lines as Zeek's JSON writer emits them: flat dotted keys, epoch-seconds `ts`, absent fields left out. */
const dns = {
  ts: 1773133323.512345,
  uid: 'CHhAvVGS1DHFjwGM9',
  'id.orig_h': '10.40.10.7',
  'id.orig_p': 53211,
  'id.resp_h': '198.51.100.53',
  'id.resp_p': 53,
  proto: 'udp',
  service: 'dns',
  duration: 0.0213,
  orig_bytes: 212,
  resp_bytes: 148,
  conn_state: 'SF',
  local_orig: true,
  local_resp: false,
  missed_bytes: 0,
  history: 'Dd',
  orig_pkts: 1,
  orig_ip_bytes: 240,
  resp_pkts: 1,
  resp_ip_bytes: 176,
};

describe('Zeek conn.log JSON lines', () => {
  it('names the host by the originator address and keeps the bytes', async () => {
    const [event] = await read('conn.log', [JSON.stringify(dns)]);
    expect(event).toEqual({
      id: 'zeek:CHhAvVGS1DHFjwGM9',
      source: 'zeek',
      time: 1773133323512,
      device: { ip: '10.40.10.7' },
      src_endpoint: { ip: '10.40.10.7', port: 53211 },
      dst_endpoint: { ip: '198.51.100.53', port: 53 },
      protocol: 'udp',
      direction: 'outbound',
      outcome: 'success',
      bytes_out: 212,
      bytes_in: 148,
    });
  });

  it('reads ICMP type from the port fields, not as ports; the code only where Zeek puts one there', async () => {
    const icmp = { ...dns, proto: 'icmp', conn_state: 'OTH', service: undefined, history: undefined };
    const message = (type: number, other: number, fields: Record<string, unknown> = {}) => JSON.stringify({ ...icmp, 'id.orig_p': type, 'id.resp_p': other, ...fields });
    const events = await read('icmp.log', [
      // Echo request: Zeek writes the counterpart type (echo reply, 0) where the code would be.
      message(8, 0),
      // Destination unreachable, communication administratively prohibited: a real code.
      message(3, 13),
      message(11, 0),
      // Timestamp request: the counterpart 14 is no code either.
      message(13, 14),
      message(128, 129, { 'id.orig_h': '2001:db8::7', 'id.resp_h': '2001:db8::53' }),
      message(1, 4, { 'id.orig_h': '2001:db8::7', 'id.resp_h': '2001:db8::53' }),
    ]);
    expect(events.map((event) => [event.protocol, event.icmp, event.outcome])).toEqual([
      ['icmp', { type: 8 }, 'unknown'],
      ['icmp', { type: 3, code: 13 }, 'unknown'],
      ['icmp', { type: 11, code: 0 }, 'unknown'],
      ['icmp', { type: 13 }, 'unknown'],
      ['icmpv6', { type: 128 }, 'unknown'],
      ['icmpv6', { type: 1, code: 4 }, 'unknown'],
    ]);
    expect(events[0]?.dst_endpoint).toEqual({ ip: '198.51.100.53' });
    expect(events[0]?.src_endpoint).toEqual({ ip: '10.40.10.7' });
    await expect(read('bad-icmp.log', [message(300, 0)])).rejects.toThrow(/bad-icmp\.log line 1: ICMP type \(id\.orig_p\): not a number from 0 to 255/);
  });

  it('reads ISO 8601 timestamps and nested id objects; unanswered and refused connections failed', async () => {
    const iso = { ...dns, ts: '2026-03-10T09:02:03.512345Z', conn_state: 'S0', history: 'D', resp_pkts: 0 };
    const nested = { ts: 1773133323.5, uid: 'C2', id: { orig_h: '10.40.10.8', orig_p: 1, resp_h: '192.0.2.1', resp_p: 443 }, proto: 'tcp', conn_state: 'REJ', history: 'Sr' };
    const events = await read('iso.log', [JSON.stringify(iso), JSON.stringify(nested)]);
    expect(events.map((event) => [event.time, event.device.ip, event.outcome])).toEqual([
      [Date.parse('2026-03-10T09:02:03.512Z'), '10.40.10.7', 'failure'],
      [1773133323500, '10.40.10.8', 'failure'],
    ]);
  });

  it('reads the epoch milliseconds of JSON::TS_MILLIS as the same instant as the default epoch seconds', async () => {
    const events = await read('millis.log', [JSON.stringify({ ...dns, ts: 1773133323512 }), JSON.stringify({ ...dns, uid: 'C9', ts: 1773133323.512 })]);
    expect(events.map((event) => event.time)).toEqual([1773133323512, 1773133323512]);
  });

  describe('in Zeek\'s default TSV format', () => {
    const FIELDS = ['ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'service', 'duration', 'orig_bytes', 'resp_bytes', 'conn_state', 'local_orig', 'local_resp', 'missed_bytes', 'history', 'orig_pkts', 'orig_ip_bytes', 'resp_pkts', 'resp_ip_bytes', 'tunnel_parents'];
    const TYPES = ['time', 'string', 'addr', 'port', 'addr', 'port', 'enum', 'string', 'interval', 'count', 'count', 'string', 'bool', 'bool', 'count', 'string', 'count', 'count', 'count', 'count', 'set[string]'];
    const header = (path = 'conn') => [
      '#separator \\x09',
      '#set_separator\t,',
      '#empty_field\t(empty)',
      '#unset_field\t-',
      `#path\t${path}`,
      '#open\t2026-03-10-09-02-03',
      `#fields\t${FIELDS.join('\t')}`,
      `#types\t${TYPES.join('\t')}`,
    ];
    const row = (values: Record<string, unknown>) => FIELDS.map((field) => (values[field] === undefined ? '-' : String(values[field]))).join('\t');

    it('reads conn.log as the JSON writer would give it, unset fields left out, across rotated header blocks', async () => {
      const icmp = { ...dns, uid: 'CICMP1', proto: 'icmp', 'id.orig_p': 3, 'id.resp_p': 13, conn_state: 'OTH', service: undefined, orig_bytes: undefined, resp_bytes: undefined, history: undefined };
      const lines = [...header(), row(dns), '#close\t2026-03-10-10-00-00', ...header(), row(icmp), '#close\t2026-03-10-11-00-00'];
      const [fromTsv, fromIcmp] = await read('conn.log', lines);
      const [fromJson] = await read('conn.json.log', [JSON.stringify(dns)]);
      expect(fromTsv).toEqual(fromJson);
      expect(fromIcmp).toMatchObject({ id: 'zeek:CICMP1', protocol: 'icmp', icmp: { type: 3, code: 13 }, dst_endpoint: { ip: '198.51.100.53' } });
      expect(fromIcmp).not.toHaveProperty('bytes_out');
    });

    it('refuses other Zeek logs and lines that do not match their header, naming the line', async () => {
      await expect(read('dns.log', header('dns'))).rejects.toThrow(/dns\.log line 5: a Zeek dns log; the backtest reads conn\.log/);
      await expect(read('short.log', [...header(), 'x\ty'])).rejects.toThrow(/short\.log line 9: 2 values where the #fields header names 21/);
      await expect(read('headless.log', ['#separator \\x09', row(dns)])).rejects.toThrow(/headless\.log line 2: a Zeek log line before any #fields header/);
    });
  });

  it('names the line of a timestamp that is not one, and of a port that is not one', async () => {
    await expect(read('bad-ts.log', [JSON.stringify(dns), JSON.stringify({ ...dns, ts: 'soon' })])).rejects.toThrow(/bad-ts\.log line 2: ts: not a Zeek timestamp/);
    await expect(read('bad-port.log', [JSON.stringify({ ...dns, 'id.resp_p': -53 })])).rejects.toThrow(/bad-port\.log line 1: .*not a port number/);
  });
});

/** A TCP flow as Zeek's JSON writer gives it, to vary the state and history of. */
const https = {
  ts: 1773133400.25,
  uid: 'CtcpA1',
  'id.orig_h': '10.40.10.7',
  'id.orig_p': 50514,
  'id.resp_h': '203.0.113.9',
  'id.resp_p': 443,
  proto: 'tcp',
  conn_state: 'SF',
  history: 'ShADadfF',
  orig_bytes: 517,
  resp_bytes: 4301,
  orig_pkts: 9,
  resp_pkts: 8,
};

describe('Zeek conn.log: only what the originator started is its outbound traffic', () => {
  const flow = (uid: string, fields: Record<string, unknown>) => JSON.stringify({ ...https, uid, ...fields });

  it('reads completed flows as successes, and attempts that never completed as failures', async () => {
    const events = await read('outcomes.log', [
      flow('sf', {}),
      flow('s1', { conn_state: 'S1', history: 'ShAD' }),
      flow('rsto', { conn_state: 'RSTO', history: 'ShADdaR' }),
      flow('rstr', { conn_state: 'RSTR', history: 'ShADadtFr' }),
      flow('s0', { conn_state: 'S0', history: 'S', resp_pkts: 0 }),
      flow('rej', { conn_state: 'REJ', history: 'Sr' }),
      flow('rstos0', { conn_state: 'RSTOS0', history: 'SR' }),
      flow('sh', { conn_state: 'SH', history: 'SF' }),
      flow('udp-sf', { proto: 'udp', conn_state: 'SF', history: 'Dd' }),
      flow('udp-s0', { proto: 'udp', conn_state: 'S0', history: 'D', resp_pkts: 0 }),
    ]);
    expect(events.map((event) => [event.id, event.direction, event.outcome])).toEqual([
      ['zeek:sf', 'outbound', 'success'],
      ['zeek:s1', 'outbound', 'success'],
      ['zeek:rsto', 'outbound', 'success'],
      ['zeek:rstr', 'outbound', 'success'],
      ['zeek:s0', 'outbound', 'failure'],
      ['zeek:rej', 'outbound', 'failure'],
      ['zeek:rstos0', 'outbound', 'failure'],
      ['zeek:sh', 'outbound', 'failure'],
      ['zeek:udp-sf', 'outbound', 'success'],
      ['zeek:udp-s0', 'outbound', 'failure'],
    ]);
  });

  it('skips and counts flows seen only from the responder or midstream, roles swapped by Zeek included', async () => {
    const { events, stats } = await readWithStats('responder-only.log', [
      flow('kept', { conn_state: 'S0', history: '^S' }),
      // SYN-ACK then FIN from the responder, the originator's SYN never seen.
      flow('shr', { conn_state: 'SHR', history: 'hf', orig_pkts: 0 }),
      flow('rstrh', { conn_state: 'RSTRH', history: 'hr' }),
      // Midstream: the originator's packets are there, its SYN is not.
      flow('oth', { conn_state: 'OTH', history: 'DadA' }),
      flow('no-syn', { conn_state: 'S1', history: 'ADad' }),
      // Zeek swapped the roles: after the swap the SYN is still not the originator's.
      flow('flipped', { conn_state: 'S3', history: '^hADadf' }),
      flow('no-packets', { history: undefined, conn_state: undefined, orig_pkts: 0 }),
      flow('dns-reply', { proto: 'udp', conn_state: 'SHR', history: '^d', orig_pkts: 0, resp_pkts: 1 }),
      flow('udp-oth', { proto: 'udp', conn_state: 'OTH', history: undefined, orig_pkts: undefined }),
      flow('udp-lower', { proto: 'udp', conn_state: 'SF', history: 'd', orig_pkts: undefined }),
    ]);
    expect(events.map((event) => event.id)).toEqual(['zeek:kept']);
    expect(stats[0]).toMatchObject({ records: 10, events: 1, skipped: 9, skip_reasons: { 'not initiated by the originator': 9 } });
  });

  it('reads a flow from outside to a local host as that host\'s inbound connection', async () => {
    const [event] = await read('inbound.log', [
      flow('in', { 'id.orig_h': '198.51.100.23', 'id.resp_h': '10.40.10.7', 'id.resp_p': 3389, local_orig: false, local_resp: true, conn_state: 'S0', history: 'S' }),
    ]);
    expect(event).toMatchObject({
      device: { ip: '10.40.10.7' },
      src_endpoint: { ip: '198.51.100.23' },
      dst_endpoint: { ip: '10.40.10.7', port: 3389 },
      direction: 'inbound',
      outcome: 'failure',
    });
  });
});

describe('Zeek conn.log in the shapes pipelines give it', () => {
  const expected = {
    id: 'zeek:CtcpA1',
    source: 'zeek',
    time: 1773133400250,
    device: { ip: '10.40.10.7' },
    src_endpoint: { ip: '10.40.10.7', port: 50514 },
    dst_endpoint: { ip: '203.0.113.9', port: 443 },
    protocol: 'tcp',
    direction: 'outbound',
    outcome: 'success',
    bytes_out: 517,
    bytes_in: 4301,
  };

  it('reads the flattened names RockNSM and OTRF write, and HELK\'s, beside their pipeline fields', async () => {
    const flat = {
      ts: 1773133400.25,
      uid: 'CtcpA1',
      id_orig_h: '10.40.10.7',
      id_orig_p: 50514,
      id_resp_h: '203.0.113.9',
      id_resp_p: 443,
      proto: 'tcp',
      conn_state: 'SF',
      history: 'ShADadfF',
      orig_bytes: 517,
      resp_bytes: 4301,
      orig_pkts: 9,
    };
    const rock = { '@stream': 'conn', '@system': 'sensor-01', '@proc': 'zeek', ...flat };
    const helk = { _path: 'conn', _system_name: 'sensor-01', _write_ts: '2026-03-10T09:03:21.000000Z', ...flat, ts: '2026-03-10T09:03:20.250000Z' };
    expect(await read('rock.json', [JSON.stringify(rock)])).toEqual([expected]);
    expect(await read('helk.json', [JSON.stringify(helk)])).toEqual([expected]);
  });

  it('reads ECS from Elastic\'s Zeek integration, nested, and from Security Onion, dotted', async () => {
    const elastic = {
      '@timestamp': '2026-03-10T09:03:20.250Z',
      data_stream: { dataset: 'zeek.connection', type: 'logs' },
      event: { dataset: 'zeek.connection', module: 'zeek', category: ['network'], id: 'CtcpA1' },
      source: { ip: '10.40.10.7', port: 50514, bytes: 517, packets: 9 },
      destination: { ip: '203.0.113.9', port: 443, bytes: 4301, packets: 8 },
      network: { transport: 'tcp', direction: 'outbound' },
      zeek: { session_id: 'CtcpA1', connection: { state: 'SF', history: 'ShADadfF', local_orig: true, local_resp: false } },
    };
    const securityOnion = {
      '@timestamp': '2026-03-10T09:03:20.250Z',
      'event.module': 'zeek',
      'event.dataset': 'conn',
      'log.id.uid': 'CtcpA1',
      'source.ip': '10.40.10.7',
      'source.port': 50514,
      'destination.ip': '203.0.113.9',
      'destination.port': 443,
      'network.transport': 'tcp',
      'connection.state': 'SF',
      'connection.history': 'ShADadfF',
      'connection.local.originator': true,
      'connection.local.responder': false,
      'client.bytes': 517,
      'client.packets': 9,
      'server.bytes': 4301,
    };
    const elasticEvents = await readWithStats('elastic.json', [JSON.stringify(elastic)]);
    expect(elasticEvents.events).toEqual([expected]);
    expect(elasticEvents.stats[0]?.format).toBe('zeek-conn (JSON lines)');
    expect(await read('so.json', [JSON.stringify(securityOnion)])).toEqual([expected]);

    const responderOnly = { ...securityOnion, 'log.id.uid': 'C2', 'connection.state': 'SHR', 'connection.history': 'hf', 'client.packets': 0 };
    const ping = { ...elastic, source: { ip: '10.40.10.7', bytes: 84 }, destination: { ip: '203.0.113.9' }, network: { transport: 'icmp' } };
    const unreachable = { ...ping, zeek: { session_id: 'C4', connection: { state: 'OTH', icmp: { type: 3, code: 13 } } } };
    const echo = { ...ping, zeek: { session_id: 'C3', connection: { state: 'OTH', icmp: { type: 8, code: 0 } } } };
    const mixed = await readWithStats('mixed.json', [JSON.stringify(responderOnly), JSON.stringify(echo), JSON.stringify(unreachable)]);
    expect(mixed.events.map((event) => [event.id, event.protocol, event.icmp, event.dst_endpoint])).toEqual([
      ['zeek:C3', 'icmp', { type: 8 }, { ip: '203.0.113.9' }],
      ['zeek:C4', 'icmp', { type: 3, code: 13 }, { ip: '203.0.113.9' }],
    ]);
    expect(mixed.stats[0]?.skip_reasons).toEqual({ 'not initiated by the originator': 1 });
  });

  it('skips the other Zeek logs of a pipeline export, and tells Zeek from Sysmon in ECS', async () => {
    const conn = { _path: 'conn', ...https };
    const dnsRecord = { _path: 'dns', ts: 1773133400.3, uid: 'Cdns', 'id.orig_h': '10.40.10.7', 'id.orig_p': 5353, 'id.resp_h': '10.0.0.53', 'id.resp_p': 53, proto: 'udp', query: 'x.example' };
    const { events, stats } = await readWithStats('all-logs.json', [JSON.stringify(dnsRecord), JSON.stringify(conn)]);
    expect(events.map((event) => event.id)).toEqual(['zeek:CtcpA1']);
    expect(stats[0]).toMatchObject({ format: 'zeek-conn (JSON lines)', skipped: 1, skip_reasons: { 'not a conn.log record': 1 } });

    const sysmon = {
      '@timestamp': '2026-03-10T09:01:00.000Z',
      event: { code: '3', module: 'sysmon', dataset: 'windows.sysmon_operational', provider: 'Microsoft-Windows-Sysmon' },
      host: { name: 'FIN-WS-042' },
      process: { executable: 'C:\\Windows\\System32\\rundll32.exe' },
      source: { ip: '10.20.1.42', port: 50999 },
      destination: { ip: '203.0.113.9', port: 443 },
      network: { transport: 'tcp', direction: 'egress' },
    };
    const windows = await readWithStats('sysmon-ecs.json', [JSON.stringify(sysmon)]);
    expect(windows.stats[0]?.format).toBe('windows-events (JSON lines)');
    expect(windows.events[0]).toMatchObject({ source: 'sysmon', process: { path: 'C:\\Windows\\System32\\rundll32.exe' } });
  });
});
