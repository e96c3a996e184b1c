import { describe, expect, it } from 'vitest';
import type { BaselineEntry, ConnectionEvent } from '../../src/contracts/connection-event.js';
import type { SourceConnector } from '../../src/sources/types.js';
import { repairedStringsOf, toWellFormed, wellFormedConnector, wellFormedDeep } from '../../src/sources/well-formed.js';

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
});
