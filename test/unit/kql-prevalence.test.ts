import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../../src/sources/mde/dev/kql-pipeline.js';
import { readHuntingQuery } from '../../src/sources/mde/dev/kql-reader.js';
import type { KqlRow } from '../../src/sources/mde/dev/kql-scalar.js';
import {
  buildDestinationPrevalenceQuery,
  buildHostCountQuery,
  buildPortPrevalenceQuery,
  HUNTING_ROW_LIMIT,
} from '../../src/sources/mde/kql.js';
import { normalizeProtocol, remoteHost } from '../../src/sources/mde/parse.js';

const from = new Date('2026-11-20T10:00:00.000Z');
const to = new Date('2026-11-27T10:00:00.000Z');
const FILTERS = ['where', 'where'];

/** The query's operators after its time and ActionType filters, run over `rows` as the fake runs them. */
function run(kql: string, rows: KqlRow[]): KqlRow[] {
  const query = readHuntingQuery(kql);
  if (query.kind !== 'estate') throw new Error(`expected an estate query, got ${query.kind}`);
  return runPipeline(query.stages, rows);
}

const event = (fields: Partial<Record<'DeviceId' | 'RemoteIP' | 'RemoteUrl' | 'Protocol', string>> & { RemotePort?: number }): KqlRow => ({
  DeviceId: 'device-1',
  RemoteIP: '',
  RemoteUrl: '',
  Protocol: 'Tcp',
  RemotePort: 443,
  ...fields,
});

describe('KQL estate prevalence queries', () => {
  it('filter on time and outbound ActionTypes only: no host predicate in any of the three', () => {
    const queries = [
      buildHostCountQuery({ from, to }),
      buildPortPrevalenceQuery({ from, to, limit: HUNTING_ROW_LIMIT }),
      buildDestinationPrevalenceQuery({ from, to, minHosts: 2, limit: 20_000 }),
    ].map(readHuntingQuery);

    for (const query of queries) {
      expect(query).toMatchObject({ kind: 'estate', from: from.toISOString(), to: to.toISOString() });
      expect(query.hosts).toBeUndefined();
      expect(query.actionTypes).toEqual(['ConnectionSuccess', 'ConnectionFailed', 'ConnectionRequest']);
    }
    expect(queries.map((query) => query.pipeline)).toEqual([
      [...FILTERS, 'summarize'],
      [...FILTERS, 'extend', 'summarize', 'top'],
      [...FILTERS, 'extend', 'extend', 'extend', 'extend', 'mv-expand', 'where', 'summarize', 'where', 'order', 'take'],
    ]);
  });

  it('carries the threshold and the cut as literals, and refuses what is not an integer or a UTC date', () => {
    const kql = buildDestinationPrevalenceQuery({ from, to, minHosts: 3, limit: 500 });
    expect(kql).toContain('| where Hosts >= 3\n| order by Hosts desc, Destination asc\n| take 500');
    expect(buildPortPrevalenceQuery({ from, to, limit: HUNTING_ROW_LIMIT })).toContain(`| top ${HUNTING_ROW_LIMIT} by Hosts desc`);
    expect(() => buildDestinationPrevalenceQuery({ from, to, minHosts: 1.5, limit: 500 })).toThrow(RangeError);
    expect(() => buildDestinationPrevalenceQuery({ from, to, minHosts: 2, limit: Number.NaN })).toThrow(RangeError);
    expect(() => buildHostCountQuery({ from: new Date(Number.NaN), to })).toThrow(RangeError);
  });

  it('counts a device once per destination, its address and its URL host alike, most widespread first', () => {
    const rows = [
      event({ DeviceId: 'a', RemoteIP: '198.51.100.7', RemoteUrl: 'https://CDN.example.com/x' }),
      event({ DeviceId: 'a', RemoteIP: '198.51.100.7', RemoteUrl: 'cdn.example.com:443' }),
      event({ DeviceId: 'b', RemoteIP: '198.51.100.8', RemoteUrl: 'cdn.example.com/y' }),
      event({ DeviceId: 'c', RemoteIP: '198.51.100.8', RemoteUrl: 'http://198.51.100.8/' }),
      event({ DeviceId: 'c', RemoteIP: '203.0.113.9' }),
    ];

    expect(run(buildDestinationPrevalenceQuery({ from, to, minHosts: 2, limit: 10 }), rows)).toEqual([
      { Destination: '198.51.100.8', Hosts: 2 },
      { Destination: 'cdn.example.com', Hosts: 2 },
    ]);
    expect(run(buildDestinationPrevalenceQuery({ from, to, minHosts: 1, limit: 1 }), rows)).toEqual([{ Destination: '198.51.100.8', Hosts: 2 }]);
    expect(run(buildHostCountQuery({ from, to }), rows)).toEqual([{ Hosts: 3 }]);
    expect(run(buildHostCountQuery({ from, to }), [])).toEqual([{ Hosts: 0 }]);
  });

  it('takes the host of any RemoteUrl exactly as the connection parser does', () => {
    const piece = fc.constantFrom('://', 'http', 'HTTPS', ':', ':443', '/', '?', '#', '.', '@', ' ', '\t', '[', ']', 'Host', 'a', '1', '::1', '-');
    const remoteUrl = fc.oneof(
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.domain(),
      fc.array(piece, { maxLength: 8 }).map((pieces) => pieces.join('')),
    );
    fc.assert(
      fc.property(remoteUrl, (url) => {
        const found = run(buildDestinationPrevalenceQuery({ from, to, minHosts: 1, limit: 10 }), [event({ RemoteUrl: url })]);
        const host = remoteHost(url);
        expect(found).toEqual(host === undefined ? [] : [{ Destination: host, Hosts: 1 }]);
      }),
      { numRuns: 500 },
    );
  });

  it('counts protocols as the connection parser names them, so TcpV4 and TcpV6 devices are one tcp count', () => {
    const rows = [event({ DeviceId: 'a', Protocol: 'TcpV4' }), event({ DeviceId: 'b', Protocol: 'TcpV6' }), event({ DeviceId: 'b', Protocol: 'Tcp' })];
    expect(run(buildPortPrevalenceQuery({ from, to, limit: 10 }), rows)).toEqual([{ Protocol: 'tcp', RemotePort: 443, Hosts: 2 }]);

    const protocol = fc.oneof(
      fc.constantFrom('Tcp', 'TcpV4', 'TcpV6', 'Udp', 'UdpV6', 'Icmp', 'IcmpV6', 'Unknown', '', ' ', 'Igmp', ' tcp '),
      fc.string({ maxLength: 8 }),
    );
    fc.assert(
      fc.property(protocol, (name) => {
        const [row] = run(buildPortPrevalenceQuery({ from, to, limit: 10 }), [event({ Protocol: name })]);
        expect(row?.Protocol).toBe(normalizeProtocol(name));
      }),
      { numRuns: 300 },
    );
  });
});
