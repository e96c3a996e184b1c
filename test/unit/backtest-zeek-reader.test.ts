import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConnectionEvent } from '../../src/contracts/connection-event.js';
import { readTelemetryFile } from '../../src/backtest/input/read-file.js';
import { SysmonProcesses } from '../../src/backtest/readers/sysmon-processes.js';

const dir = mkdtempSync(join(tmpdir(), 'cw-zeek-'));

async function read(name: string, lines: readonly string[]): Promise<ConnectionEvent[]> {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  const events: ConnectionEvent[] = [];
  for await (const event of readTelemetryFile(path, { processes: new SysmonProcesses() }, [])) events.push(event);
  return events;
}

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

  it('drops ICMP type and code, which Zeek writes in the port fields', async () => {
    const [event] = await read('icmp.log', [JSON.stringify({ ...dns, proto: 'icmp', 'id.orig_p': 8, 'id.resp_p': 0, conn_state: 'OTH', service: undefined })]);
    expect(event?.dst_endpoint).toEqual({ ip: '198.51.100.53' });
    expect(event?.src_endpoint).toEqual({ ip: '10.40.10.7' });
    expect(event?.outcome).toBe('unknown');
  });

  it('reads ISO 8601 timestamps and nested id objects; unanswered and refused connections failed', async () => {
    const iso = { ...dns, ts: '2026-03-10T09:02:03.512345Z', conn_state: 'S0' };
    const nested = { ts: 1773133323.5, uid: 'C2', id: { orig_h: '10.40.10.8', orig_p: 1, resp_h: '192.0.2.1', resp_p: 443 }, proto: 'tcp', conn_state: 'REJ' };
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
      const icmp = { ...dns, uid: 'CICMP1', proto: 'icmp', 'id.orig_p': 8, 'id.resp_p': 0, conn_state: 'OTH', service: undefined, orig_bytes: undefined, resp_bytes: undefined };
      const lines = [...header(), row(dns), '#close\t2026-03-10-10-00-00', ...header(), row(icmp), '#close\t2026-03-10-11-00-00'];
      const [fromTsv, fromIcmp] = await read('conn.log', lines);
      const [fromJson] = await read('conn.json.log', [JSON.stringify(dns)]);
      expect(fromTsv).toEqual(fromJson);
      expect(fromIcmp).toMatchObject({ id: 'zeek:CICMP1', protocol: 'icmp', dst_endpoint: { ip: '198.51.100.53' } });
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
