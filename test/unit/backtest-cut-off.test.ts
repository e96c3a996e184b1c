import { gzipSync } from 'node:zlib';
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { readTelemetryFixture } from '../helpers/telemetry-files.js';

const read = readTelemetryFixture;

/** A ConnectionEvent line; `pad` makes it long and incompressible, so a cut gzip ends inside a known line. */
const line = (id: string, pad = '') =>
  JSON.stringify({ id, source: 's', time: 1, device: { hostname: 'h' }, dst_endpoint: { ip: '192.0.2.1', hostname: `${pad}x.example` }, protocol: 'tcp', direction: 'outbound', outcome: 'unknown' });
const noise = (seed: number) => {
  let state = seed;
  return Array.from({ length: 600 }, () => ((state = (state * 1103515245 + 12345) % 2 ** 31) % 36).toString(36)).join('');
};
const lines = (count: number) => Array.from({ length: count }, (_, i) => line(`e${i}`, noise(i + 1)));
const GZIP_CUT = 'the gzip stream ends early (the file is cut off)';

describe('telemetry cut off at its end is read up to the cut', () => {
  it('reads a gzip stream cut in the middle, and says which line was partial and how large it was', async () => {
    const all = lines(200);
    const gz = gzipSync(`${all.join('\n')}\n`);
    const { events, stats } = await read('cut.jsonl.gz', gz.subarray(0, Math.floor(gz.length * 0.6)));
    const read_ = events.length;
    expect(read_).toBeGreaterThan(50);
    expect(read_).toBeLessThan(200);
    expect(events.map((event) => event.id)).toEqual(all.slice(0, read_).map((_, i) => `e${i}`));
    expect(stats[0]).toMatchObject({ records: read_, events: read_, cut_off: { reason: GZIP_CUT, line: read_ + 1 } });
    expect(stats[0]?.cut_off?.bytes).toBeGreaterThan(0);
    expect(stats[0]?.cut_off?.bytes).toBeLessThan(Buffer.byteLength(all[read_]!));
  });

  it('notes a gzip stream that ends early even when the cut falls between lines', async () => {
    const gz = gzipSync(`${lines(3).join('\n')}\n`);
    // The last 8 bytes are the CRC and length: without them every line is there, but the stream is unfinished.
    const { events, stats } = await read('no-trailer.jsonl.gz', gz.subarray(0, gz.length - 8));
    expect(events).toHaveLength(3);
    expect(stats[0]?.cut_off).toEqual({ reason: GZIP_CUT });
  });

  it('reads a live log copied mid-write: the unfinished last line, without a line break, is dropped and counted', async () => {
    const text = `${line('a')}\n${line('b')}\n${line('c').slice(0, 40)}`;
    const { events, stats } = await read('live.jsonl', text);
    expect(events.map((event) => event.id)).toEqual(['a', 'b']);
    expect(stats[0]?.cut_off).toEqual({ reason: expect.stringMatching(/^the last line is incomplete/), line: 3, bytes: 40 });
  });

  it('still refuses a broken line in the middle, or a broken last line that a line break ends', async () => {
    await expect(read('middle.jsonl', `${line('a')}\n${line('b').slice(0, 40)}\n${line('c')}`)).rejects.toThrow(/middle\.jsonl line 2: not valid JSON/);
    await expect(read('ended.jsonl', `${line('a')}\n${line('b').slice(0, 40)}\n`)).rejects.toThrow(/ended\.jsonl line 2: not valid JSON/);
    await expect(read('garbage.jsonl', `${line('a')}\nnot json\n${line('b')}`)).rejects.toThrow(/garbage\.jsonl line 2: not valid JSON/);
  });

  it('refuses the file, naming it and the line, when nothing before the cut can be read', async () => {
    const long = line('only', noise(7).repeat(8));
    const gz = gzipSync(`${long}\n${line('next')}\n`);
    await expect(read('first-line.jsonl.gz', gz.subarray(0, gz.length >> 1))).rejects.toThrow(
      /first-line\.jsonl\.gz line 1: the gzip stream ends early \(the file is cut off\): nothing readable before the cut/,
    );
    await expect(read('one-line.jsonl', long.slice(0, 100))).rejects.toThrow(/one-line\.jsonl line 1: not valid JSON/);
  });

  it('reads a zip whose last member is cut: the members before it whole, that member up to the cut', async () => {
    const first = lines(20);
    const second = lines(200);
    const zip = zipSync({ 'day1.jsonl': strToU8(`${first.join('\n')}\n`), 'day2.jsonl': strToU8(`${second.join('\n')}\n`) });
    const { events, stats } = await read('days.zip', zip.subarray(0, Math.floor(zip.length * 0.7)));
    expect(stats.map((entry) => [entry.entry.split(':').pop(), entry.records, entry.cut_off?.reason])).toEqual([
      ['day1.jsonl', 20, undefined],
      ['day2.jsonl', events.length - 20, 'the zip archive ends inside this member (the file is cut off)'],
    ]);
    expect(events.length).toBeGreaterThan(60);
    expect(stats[1]?.cut_off?.line).toBe(events.length - 20 + 1);
  });

  it('reads a zip cut in the header of its second member: that member is empty and marked cut', async () => {
    const zip = zipSync({ 'a.jsonl': strToU8(`${line('a')}\n`), 'b.jsonl': strToU8(`${lines(50).join('\n')}\n`) }, { level: 0 });
    const secondData = Buffer.from(zip).indexOf('b.jsonl') + 'b.jsonl'.length;
    const { events, stats } = await read('header.zip', zip.subarray(0, secondData + 10));
    expect(events.map((event) => event.id)).toEqual(['a']);
    expect(stats[1]).toMatchObject({ records: 0, cut_off: { reason: 'the zip archive ends inside this member (the file is cut off)' } });
  });
});

describe('a cut Defender CSV export', () => {
  const header = 'Timestamp,DeviceName,ActionType,RemoteIP,InitiatingProcessCommandLine';
  const row = (i: number, command = 'svc.exe') => `2026-01-01T00:00:0${i % 10}Z,ws${i},ConnectionSuccess,192.0.2.1,"${command}"`;

  it('drops a last row that ends inside a quoted command line', async () => {
    const { events, stats } = await read('quote.csv', `${header}\n${row(0)}\n${row(1)}\n${row(2, 'powershell -c "" x').slice(0, 70)}`);
    expect(events.map((event) => event.device.hostname)).toEqual(['ws0', 'ws1']);
    expect(stats[0]?.cut_off).toMatchObject({ reason: expect.stringMatching(/^the last line is incomplete/), line: 4 });
  });

  it('drops a short last row without a line break, but refuses a short row that one ends', async () => {
    const short = `${header}\n${row(0)}\n2026-01-01T00:00:01Z,ws1,Conn`;
    const { events, stats } = await read('short.csv', short);
    expect(events.map((event) => event.device.hostname)).toEqual(['ws0']);
    expect(stats[0]?.cut_off).toEqual({ reason: expect.stringMatching(/^the last line is incomplete/), line: 3, bytes: 29 });
    await expect(read('short-ended.csv', `${short}\n`)).rejects.toThrow(/short-ended\.csv line 3: not valid CSV/);
    await expect(read('short-middle.csv', `${short}\n${row(2)}\n`)).rejects.toThrow(/short-middle\.csv line 3: not valid CSV/);
  });

  it('keeps a whole last row that lacks only the final line break', async () => {
    const { events, stats } = await read('whole.csv', `${header}\n${row(0)}\n${row(1)}`);
    expect(events).toHaveLength(2);
    expect(stats[0]?.cut_off).toBeUndefined();
  });
});

describe('a cut Zeek TSV conn.log', () => {
  const FIELDS = ['ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'conn_state', 'history', 'orig_bytes'];
  const header = ['#separator \\x09', '#path\tconn', `#fields\t${FIELDS.join('\t')}`];
  const row = (i: number) => [1773133323 + i, `C${i}`, '10.40.10.7', 50000 + i, '198.51.100.53', 443, 'tcp', 'SF', 'ShADadfF', 1000 + i].join('\t');

  it('drops a last line with too few values and no line break, and refuses one in the middle', async () => {
    const { events, stats } = await read('live-conn.log', [...header, row(0), row(1), row(2).slice(0, 25)].join('\n'));
    expect(events.map((event) => event.id)).toEqual(['zeek:C0', 'zeek:C1']);
    expect(stats[0]?.cut_off).toEqual({ reason: expect.stringMatching(/^the last line is incomplete/), line: 6, bytes: 25 });
    await expect(read('middle-conn.log', [...header, row(0), row(1).slice(0, 25), row(2)].join('\n'))).rejects.toThrow(
      /middle-conn\.log line 5: 4 values where the #fields header names 10/,
    );
  });

  it('drops the unfinished last line of a cut gzip even when its values are all there: the last may be cut short', async () => {
    const text = [...header, row(0), row(1), row(2)].join('\n');
    const gz = gzipSync(text);
    const { events, stats } = await read('conn.log.gz', gz.subarray(0, gz.length - 8));
    expect(events.map((event) => event.id)).toEqual(['zeek:C0', 'zeek:C1']);
    expect(stats[0]?.cut_off).toMatchObject({ reason: GZIP_CUT, line: 6 });
  });
});
