import { describe, expect, it } from 'vitest';
import { eventTimeMs, parseLogResponse, parseRecords, readLogBody } from '../../src/sources/fortigate/parse.js';
import { SourceError } from '../../src/sources/source-error.js';

const record = (eventtime: string) => `{"eventtime":${eventtime},"sessionid":77,"logid":"0000000013","srcip":"10.20.1.42","dstip":"192.0.2.44","dstport":8443,"proto":6,"action":"close"}`;

describe('a FortiGate log body', () => {
  it('keeps every digit of a nanosecond eventtime: the last nanoseconds of a millisecond stay in it, and records apart by nanoseconds stay apart', () => {
    const body = `{"results":[${record('1764921600000999999')},${record('1764921600000999872')}],"status":"success"}`;
    const { results } = parseLogResponse('fg', readLogBody('fg', 200, body));
    const records = parseRecords('fg', results ?? [], 0);
    expect(records.map((entry) => eventTimeMs(entry.eventtime))).toEqual([1764921600000, 1764921600000]);
    expect(new Set(records.map((entry) => String(entry.eventtime))).size).toBe(2);
  });

  it('reads short eventtimes and every other number as JSON numbers, and leaves a quoted lookalike in a string alone', () => {
    const body = `{"results":[${record('1764921600')}],"note":"\\"eventtime\\":1764921600000999999","total_lines":1}`;
    const parsed = readLogBody('fg', 200, body) as { results: { eventtime: unknown }[]; note: string; total_lines: unknown };
    expect(parsed.results[0]!.eventtime).toBe(1764921600);
    expect(parsed.note).toBe('"eventtime":1764921600000999999');
    expect(parsed.total_lines).toBe(1);
  });

  it('is a retryable source error when cut or not JSON', () => {
    for (const body of ['{"results":[{"eventtime":17649216000009', '<html>busy</html>']) {
      expect(() => readLogBody('fg', 200, body)).toThrow(SourceError);
      expect(() => readLogBody('fg', 200, body)).toThrow(/not complete JSON/);
    }
  });
});
