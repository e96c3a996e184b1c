import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BaselineEntry, ConnectionEvent } from '../../src/contracts/connection-event.js';
import { silentLogger } from '../../src/lib/logger.js';
import { unlimitedBudget } from '../../src/sources/http/request-budget.js';
import { createSourceHttpClient } from '../../src/sources/http/source-http-client.js';
import type { SourceConnector, TimeRangeQuery } from '../../src/sources/types.js';
import { decodeUtf8, repairedStringsOf, toWellFormed, wellFormedConnector, wellFormedDeep, type RepairCallback } from '../../src/sources/well-formed.js';

const HIGH = '\uD83D';
const LOW = '\uDE00';
const GRIN = `${HIGH}${LOW}`; // U+1F600 as a valid pair
const FFFD = '\uFFFD';

/** True when the string has no unpaired surrogate: encodeURIComponent throws on one. */
const wellFormed = (value: string) => {
  try {
    encodeURIComponent(value);
    return true;
  } catch {
    return false;
  }
};

describe('lone surrogates become U+FFFD, pairs stay', () => {
  it('replaces a lone high surrogate, at the end and before a non-surrogate', () => {
    expect(toWellFormed(`cmd.exe /c ${HIGH}`)).toEqual({ value: `cmd.exe /c ${FFFD}`, replaced: 1 });
    expect(toWellFormed(`a${HIGH}b`)).toEqual({ value: `a${FFFD}b`, replaced: 1 });
    expect(toWellFormed(`${HIGH}${HIGH}${LOW}`)).toEqual({ value: `${FFFD}${GRIN}`, replaced: 1 });
  });

  it('replaces a lone low surrogate, at the start and after a non-surrogate', () => {
    expect(toWellFormed(`${LOW}x`)).toEqual({ value: `${FFFD}x`, replaced: 1 });
    expect(toWellFormed(`x${LOW}`)).toEqual({ value: `x${FFFD}`, replaced: 1 });
    expect(toWellFormed(`${GRIN}${LOW}`)).toEqual({ value: `${GRIN}${FFFD}`, replaced: 1 });
  });

  it('keeps valid pairs and plain text as they are, the same string', () => {
    const text = `powershell -enc ${GRIN} ünïcode 日本`;
    const result = toWellFormed(text);
    expect(result).toEqual({ value: text, replaced: 0 });
    expect(result.value).toBe(text);
    expect(toWellFormed('')).toEqual({ value: '', replaced: 0 });
  });

  it('counts every replacement: reversed pairs are two lone surrogates', () => {
    const result = toWellFormed(`${LOW}${HIGH}|${HIGH}|${LOW}|${GRIN}`);
    expect(result.replaced).toBe(4);
    expect(result.value).toBe(`${FFFD}${FFFD}|${FFFD}|${FFFD}|${GRIN}`);
    expect(wellFormed(result.value)).toBe(true);
  });

  it('walks objects and arrays, keys included, and returns untouched sub-trees as they were', () => {
    const clean = { name: 'svchost.exe', ports: [135, 445] };
    const input = { process: clean, args: ['ok', `bad${HIGH}`], [`k${LOW}`]: 1, n: 7, missing: undefined, nothing: null };
    const { value, replaced } = wellFormedDeep(input);
    expect(replaced).toBe(2);
    expect(value.process).toBe(clean);
    expect(value.args).toEqual(['ok', `bad${FFFD}`]);
    expect(Object.keys(value)).toContain(`k${FFFD}`);
    expect(wellFormed(JSON.stringify(value))).toBe(true);
    expect(wellFormedDeep(clean)).toEqual({ value: clean, replaced: 0 });
    expect(wellFormedDeep(clean).value).toBe(clean);
  });
});

describe('the connector boundary', () => {
  const event = (id: string, cmd: string): ConnectionEvent => ({
    id,
    source: 'scripted',
    time: 1_000,
    device: { hostname: 'FIN-WS-042' },
    process: { name: 'powershell.exe', cmd_line: cmd },
    dst_endpoint: { ip: '192.0.2.44', port: 8443 },
    protocol: 'tcp',
    direction: 'outbound',
    outcome: 'success',
  });
  const row: BaselineEntry = { host: `FIN${LOW}`, process_path: `C:\\x${HIGH}.exe`, protocol: 'tcp', count: 1, first_seen: 0, last_seen: 1 };
  const raw: SourceConnector = {
    id: 'scripted',
    type: 'scripted',
    maxHostsPerQuery: 10,
    lookbackMs: 0,
    fetchConnections: async () => [event('clean', 'powershell -nop'), event('bad', `powershell -enc ${HIGH}AAA${LOW}`)],
    fetchBaseline: async () => [row],
    close: async () => {},
  };

  it('makes every answer well-formed and counts per source and call; a repaired event remembers its count', async () => {
    const repairs: { source: string; method: string; replaced: number }[] = [];
    const connector = wellFormedConnector(raw, (repair) => repairs.push(repair));
    const events = await connector.fetchConnections({ hosts: [], from: new Date(0), to: new Date(1) });
    expect(events.map((item) => item.process?.cmd_line)).toEqual(['powershell -nop', `powershell -enc ${FFFD}AAA${FFFD}`]);
    expect(events.map(repairedStringsOf)).toEqual([0, 2]);
    const rows = await connector.fetchBaseline({ hosts: [], from: new Date(0), to: new Date(1) });
    expect(rows[0]).toMatchObject({ host: `FIN${FFFD}`, process_path: `C:\\x${FFFD}.exe` });
    expect(repairs).toEqual([
      { source: 'scripted', method: 'connections', replaced: 2 },
      { source: 'scripted', method: 'baseline', replaced: 2 },
    ]);
    expect(connector.fetchPrevalence).toBeUndefined();
    expect(connector.resolveHosts).toBeUndefined();
  });

  it('keeps every setting of the connector it wraps, and hands each query on as asked', async () => {
    const asked: TimeRangeQuery[] = [];
    const configured: SourceConnector = {
      ...raw,
      coverageNotes: 'drops repeats',
      ingestionOverlapMs: 120_000,
      fetchConnections: async (query) => {
        asked.push(query);
        return [];
      },
    };
    const connector = wellFormedConnector(configured, () => {});
    const settings = (of: SourceConnector) => Object.fromEntries(Object.entries(of).filter(([, value]) => typeof value !== 'function'));
    expect(settings(connector)).toEqual(settings(configured));
    const query: TimeRangeQuery = { hosts: [{ hostname: 'FIN-WS-042' }], from: new Date(0), to: new Date(10), covered: { until: new Date(5), ingestedSince: new Date(4) } };
    await connector.fetchConnections(query);
    expect(asked).toEqual([query]);
  });
});

describe('invalid UTF-8 where bytes become text', () => {
  const bytes = (...parts: (string | number[])[]) =>
    Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part))));

  it('decodes a valid body as it is, a replacement character the vendor sent included, and counts nothing', () => {
    expect(decodeUtf8(bytes('cmd ü 日本 \uFFFD 😀'))).toEqual({ value: 'cmd ü 日本 \uFFFD 😀', replaced: 0 });
    expect(decodeUtf8(bytes([0xef, 0xbb, 0xbf], '{}'))).toEqual({ value: '{}', replaced: 0 });
  });

  it('replaces each invalid sequence with U+FFFD and counts those only', () => {
    // A stray continuation byte, a truncated two-byte sequence, an encoded surrogate (CESU), beside a sent U+FFFD.
    const result = decodeUtf8(bytes('a', [0x80], 'b', [0xc3], 'c \uFFFD ', [0xed, 0xa0, 0x80]));
    expect(result.value).toBe('a\uFFFDb\uFFFDc \uFFFD \uFFFD\uFFFD\uFFFD');
    expect(result.replaced).toBe(5);
  });
});

describe('the shared HTTP client decodes vendor bodies at the boundary', () => {
  let server: Server;
  let url: string;
  // A JSON body with an invalid byte in one string and a lone surrogate escape in another.
  const body = Buffer.concat([Buffer.from('{"cmd":"a'), Buffer.from([0xff]), Buffer.from('b","user":"x\\ud800y"}')]);

  beforeAll(async () => {
    server = createServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('replaces and counts invalid UTF-8; the connector boundary then repairs the lone surrogate JSON.parse made', async () => {
    const repairs: Parameters<RepairCallback>[0][] = [];
    const http = createSourceHttpClient({
      sourceId: 'scripted',
      baseURL: url,
      timeoutMs: 5_000,
      maxRetries: 0,
      budget: unlimitedBudget,
      logger: silentLogger(),
      onRepair: (repair) => repairs.push(repair),
    });
    const { data } = await http.request<{ cmd: string; user: string }>({ url: '/events' });
    expect(data.cmd).toBe('a\uFFFDb');
    expect(data.user).toBe('x\uD800y');
    expect(repairs).toEqual([{ source: 'scripted', method: 'utf8', replaced: 1 }]);
    expect(wellFormedDeep(data)).toEqual({ value: { cmd: 'a\uFFFDb', user: 'x\uFFFDy' }, replaced: 1 });
    // Text asked for explicitly is decoded the same way.
    const text = await http.request<string>({ url: '/events', responseType: 'text' });
    expect(text.data).toBe('{"cmd":"a\uFFFDb","user":"x\\ud800y"}');
    expect(repairs).toHaveLength(2);
  });
});
