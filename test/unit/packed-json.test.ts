import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { packJson, unpackJson } from '../../src/lib/packed-json.js';

const baselineRows = Array.from({ length: 400 }, (_, index) => ({
  host: 'MSP-WS-00042',
  process_path: 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
  sha1: 'f0910deb6ce44d039f5ce0fce4b7db0113b58fd4',
  dst_ip: `198.18.${index >> 8}.${index & 255}`,
  dst_hostname: `cdn-${1_000 + index}.example`,
  dst_port: 443,
  protocol: 'tcp',
  count: index % 7,
  first_seen: 1_796_043_789_555 + index * 1_000,
}));

describe('packed JSON in Redis', () => {
  it('gives back the value it packed, strings outside ASCII included', () => {
    const value = { version: 2, rows: baselineRows, note: 'Zürich \u2013 \u{1F600}', empty: [], nothing: null };
    expect(unpackJson(packJson(value))).toEqual(value);
  });

  it('reads values gzipped by earlier versions', () => {
    expect(unpackJson(gzipSync(JSON.stringify({ rows: baselineRows })))).toEqual({ rows: baselineRows });
  });

  it('packs baseline rows smaller than gzip did', () => {
    const json = JSON.stringify(baselineRows);
    expect(packJson(baselineRows).length).toBeLessThan(0.9 * gzipSync(json, { level: 6 }).length);
  });

  it('reads records earlier versions stored as plain JSON text', () => {
    expect(unpackJson(Buffer.from('{"id":"w-1","hosts":[{"hostname":"Zürich-01"}]}'))).toEqual({ id: 'w-1', hosts: [{ hostname: 'Zürich-01' }] });
    expect(unpackJson(Buffer.from('[1,2]'))).toEqual([1, 2]);
  });

  it('refuses what it did not pack: garbage, a cut-off value', () => {
    expect(() => unpackJson(Buffer.from('not packed'))).toThrow();
    expect(() => unpackJson(Buffer.from('"a string"'))).toThrow();
    const packed = packJson({ rows: baselineRows });
    expect(() => unpackJson(packed.subarray(0, packed.length >> 1))).toThrow();
  });
});
