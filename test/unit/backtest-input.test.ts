import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { zipSync, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { ConnectionEvent } from '../../src/contracts/connection-event.js';
import type { EntryStats } from '../../src/backtest/input/read-entry.js';
import { readTelemetryFile } from '../../src/backtest/input/read-file.js';
import { splitLines } from '../../src/backtest/input/lines.js';
import { SysmonProcesses } from '../../src/backtest/readers/sysmon-processes.js';

const dir = mkdtempSync(join(tmpdir(), 'cw-input-'));

async function read(name: string, content: Uint8Array | string): Promise<{ events: ConnectionEvent[]; stats: EntryStats[] }> {
  const path = join(dir, name);
  writeFileSync(path, content);
  const stats: EntryStats[] = [];
  const events: ConnectionEvent[] = [];
  for await (const event of readTelemetryFile(path, { processes: new SysmonProcesses() }, stats)) events.push(event);
  return { events, stats };
}

const line = (id: string) =>
  JSON.stringify({ id, source: 's', time: 1, device: { hostname: 'h' }, dst_endpoint: { ip: '192.0.2.1' }, protocol: 'tcp', direction: 'outbound', outcome: 'unknown' });

describe('telemetry files are recognised by content, compressed or not', () => {
  it('reads every member of a zip, whatever the file is called', async () => {
    const zip = zipSync({ 'a.jsonl': strToU8(`${line('a1')}\n${line('a2')}\n`), 'dir/': new Uint8Array(0), 'b.json': strToU8(line('b1')) });
    const { events, stats } = await read('export.bin', zip);
    expect(events.map((event) => event.id)).toEqual(['a1', 'a2', 'b1']);
    expect(stats.map((entry) => entry.entry)).toEqual([`${join(dir, 'export.bin')}:a.jsonl`, `${join(dir, 'export.bin')}:b.json`]);
  });

  it('names the zip member and line of a broken record', async () => {
    const zip = zipSync({ 'day1.jsonl': strToU8(`${line('a1')}\n{"id":\n${line('a2')}\n`) });
    await expect(read('days.zip', zip)).rejects.toThrow(/days\.zip:day1\.jsonl line 2: not valid JSON/);
  });

  it('reads gzip, and says so when a gzip or zip is corrupt or cut off before anything could be read', async () => {
    const { events } = await read('events.jsonl.gz', gzipSync(`${line('g1')}\n`));
    expect(events.map((event) => event.id)).toEqual(['g1']);
    const gz = gzipSync(Array.from({ length: 400 }, (_, i) => line(`g${i}`)).join('\n'));
    const corrupt = Buffer.from(gz);
    corrupt.fill(0xff, 100, 140);
    await expect(read('corrupt.gz', corrupt)).rejects.toThrow(/corrupt\.gz: cannot decompress or read/);
    await expect(read('cut.gz', gz.subarray(0, 40))).rejects.toThrow(/cut\.gz: the gzip stream ends early \(the file is cut off\): nothing readable before the cut/);
    await expect(read('cut.zip', zipSync({ 'a.jsonl': strToU8(line('z')) }).subarray(0, 20))).rejects.toThrow(/cut\.zip/);
  });

  it('reads a truncated gzip of a CSV export up to the cut, rather than waits forever', async () => {
    const rows = ['Timestamp,DeviceName,ActionType,RemoteIP', ...Array.from({ length: 5_000 }, (_, i) => `2026-01-01T00:00:0${i % 10}Z,ws${i},ConnectionSuccess,192.0.2.1`)];
    const gz = gzipSync(rows.join('\n'));
    const { events, stats } = await read('cut.csv.gz', gz.subarray(0, gz.length >> 1));
    expect(events.length).toBeGreaterThan(100);
    expect(events.length).toBeLessThan(5_000);
    expect(events.map((event) => event.device.hostname)).toEqual(Array.from({ length: events.length }, (_, i) => `ws${i}`));
    expect(stats[0]?.cut_off).toMatchObject({ reason: 'the gzip stream ends early (the file is cut off)', line: events.length + 2 });
  });

  it('reads UTF-16 with a byte order mark, as PowerShell writes files', async () => {
    const { events } = await read('utf16.jsonl', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${line('u1')}\r\n`, 'utf16le')]));
    expect(events.map((event) => event.id)).toEqual(['u1']);
  });

  it('reads UTF-8 whose characters straddle a read chunk, among chunks of plain ASCII, and a UTF-8 byte order mark', async () => {
    const lineWith = (id: string, hostname: string) =>
      JSON.stringify({ id, source: 's', time: 1, device: { hostname }, dst_endpoint: { ip: '192.0.2.1' }, protocol: 'tcp', direction: 'outbound', outcome: 'unknown' });
    const filler = Array.from({ length: 5_000 }, (_, i) => line(`f${i}`)).join('\n');
    const before = Buffer.from(`\uFEFF${lineWith('u0', 'ascii')}\n${filler}\n`);
    // "ö" (2 bytes) and "😀" (4 bytes) end where the first 1 MiB read does, split between it and the next.
    const pad = (1 << 20) - before.length - Buffer.byteLength('{"id":"u1","source":"s","time":1,"device":{"hostname":"') - 3;
    const split = lineWith('u1', `${'x'.repeat(pad)}ö😀`);
    const { events } = await read('utf8-chunks.jsonl', Buffer.concat([before, Buffer.from(`${split}\n${filler}\n${filler}\n${lineWith('u2', 'wörk-😀')}\n${filler}\n${filler}\n${lineWith('u3', 'last')}\n`)]));
    const byId = new Map(events.map((event) => [event.id, event.device.hostname]));
    expect(byId.get('u0')).toBe('ascii');
    expect(byId.get('u1')).toBe(`${'x'.repeat(pad)}ö😀`);
    expect(byId.get('u2')).toBe('wörk-😀');
    expect(byId.get('u3')).toBe('last');
    expect(events).toHaveLength(25_004);
  });

  it('reads bytes that are not UTF-8 as replacement characters, in the line they are in and at a chunk end', async () => {
    const hostLine = (id: string, hostname: Buffer) =>
      Buffer.concat([Buffer.from(`{"id":"${id}","source":"s","time":1,"device":{"hostname":"`), hostname, Buffer.from('"},"dst_endpoint":{"ip":"192.0.2.1"},"protocol":"tcp","direction":"outbound","outcome":"unknown"}\n')]);
    // v1: a stray 0xFF; v2: "ö" cut after its first byte where the first 1 MiB read ends, the next read plain ASCII.
    const first = hostLine('v1', Buffer.from([0x61, 0xff, 0x62, 0xc3, 0xb6]));
    const head = Buffer.from('{"id":"v2","source":"s","time":1,"device":{"hostname":"');
    const pad = Buffer.alloc((1 << 20) - first.length - head.length - 1, 0x78);
    const cut = Buffer.concat([head, pad, Buffer.from([0xc3]), Buffer.from('"},"dst_endpoint":{"ip":"192.0.2.1"},"protocol":"tcp","direction":"outbound","outcome":"unknown"}\n')]);
    const { events } = await read('not-utf8.jsonl', Buffer.concat([first, cut, hostLine('v3', Buffer.from('plain'))]));
    expect(events.map((event) => [event.id, event.device.hostname])).toEqual([
      ['v1', 'a\uFFFDbö'],
      ['v2', `${'x'.repeat(pad.length)}\uFFFD`],
      ['v3', 'plain'],
    ]);
  });

  it('names a file that does not exist', async () => {
    const path = join(dir, 'never-written.jsonl');
    const reading = readTelemetryFile(path, { processes: new SysmonProcesses() }, []);
    await expect(reading.next()).rejects.toThrow(/never-written\.jsonl: cannot open: ENOENT/);
  });

  it('an empty file is no events, not an error', async () => {
    const { events, stats } = await read('empty.jsonl', '\n\n');
    expect(events).toEqual([]);
    expect(stats[0]?.format).toBe('empty');
  });
});

describe('lines', () => {
  /** The lines `splitLines` makes of text arriving in these chunks. */
  const linesOf = async (...parts: string[]) => {
    async function* chunks() {
      yield* parts;
    }
    const lines = [];
    for await (const item of splitLines(chunks())) lines.push(item);
    return lines;
  };

  it('splits across chunk boundaries, strips CR and a leading byte order mark, and numbers from 1', async () => {
    expect(await linesOf('\uFEFFfirst\r', '\nsec', 'ond\n\nlast')).toEqual([
      { text: 'first', number: 1, terminated: true },
      { text: 'second', number: 2, terminated: true },
      { text: '', number: 3, terminated: true },
      { text: 'last', number: 4, terminated: false },
    ]);
  });

  it('joins a line that spans chunks without a line break, and numbers the lines after it', async () => {
    expect(await linesOf('one\nlo', 'n', 'g\r', '\nthree\n')).toEqual([
      { text: 'one', number: 1, terminated: true },
      { text: 'long', number: 2, terminated: true },
      { text: 'three', number: 3, terminated: true },
    ]);
  });
});
