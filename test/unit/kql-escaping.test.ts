import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KqlSyntaxError } from '../../src/sources/mde/dev/kql-lexer.js';
import { readHuntingQuery } from '../../src/sources/mde/dev/kql-reader.js';
import { buildBaselineQuery, buildConnectionsQuery, kqlString } from '../../src/sources/mde/kql.js';
import type { HostRef } from '../../src/sources/types.js';

const from = new Date('2026-11-27T10:00:00.000Z');
const to = new Date('2026-11-27T10:05:00.000Z');
const ROWS_PIPELINE = ['where', 'where', 'where', 'project', 'order', 'take'];
const NEXT_PAGE_PIPELINE = ['where', 'where', 'where', 'where', 'project', 'order', 'take'];
const BASELINE_PIPELINE = ['where', 'where', 'where', 'summarize', 'extend', 'order', 'take'];

const HOSTILE_NAMES = [
  'evil" or 1==1 | DeviceName',
  'x") or DeviceName in~ ("*',
  "' or '1'=='1",
  'a\\',
  'a\\" | take 1 //',
  '\\\\server\\share',
  'name // comment',
  'line\nbreak | take 1',
  'cr\rlf\r\n',
  'tab\there',
  '*',
  '" ; DeviceEvents | take 100 | where "" == "',
  'or',
  'unicode\u2028separator',
  '@"verbatim"',
  'datetime(2020-01-01)',
];

const uniq = (values: readonly string[]) => [...new Set(values)];

describe('KQL host filters', () => {
  it.each(HOSTILE_NAMES)('keeps the hostile short name %j a single literal', (name) => {
    const query = readHuntingQuery(buildConnectionsQuery({ hosts: [{ hostname: name }], from, to, pageSize: 100 }));
    expect(query.hosts).toEqual({ deviceNames: [], shortNames: [name], deviceIds: [], localIps: [] });
    expect(query.pipeline).toEqual(ROWS_PIPELINE);
    expect(query.actionTypes).toEqual(['ConnectionSuccess', 'ConnectionFailed', 'ConnectionRequest']);
  });

  it.each(HOSTILE_NAMES)('keeps the hostile FQDN, device id and IP %j single literals', (name) => {
    const hosts: HostRef[] = [{ hostname: `${name}.corp.example`, edr_id: name }, { ip: name }];
    const query = readHuntingQuery(buildBaselineQuery({ hosts, from, to, pageSize: 100, afterKey: name }));
    expect(query.hosts).toEqual({ deviceNames: [`${name}.corp.example`], shortNames: [], deviceIds: [name], localIps: [name] });
    expect(query.pipeline).toEqual([...BASELINE_PIPELINE.slice(0, 5), 'where', ...BASELINE_PIPELINE.slice(5)]);
    expect(query.kind === 'summarize' && query.afterKey).toBe(name);
  });

  it('recovers exactly the host list for arbitrary names, the query shape unchanged', () => {
    const name = fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
      fc.string({ unit: fc.constantFrom('"', "'", '\\', '|', '/', '\n', '\r', '\t', ' ', 'o', 'r', '*', '(', ')', ';', '~'), minLength: 1, maxLength: 20 }),
      fc.constantFrom(...HOSTILE_NAMES),
    ).filter((value) => value.trim() !== '');
    const shortName = name.filter((value) => !value.includes('.'));
    fc.assert(
      fc.property(fc.array(shortName, { minLength: 1, maxLength: 6 }), fc.array(name, { maxLength: 4 }), (shortNames, labels) => {
        const fqdns = labels.map((label) => `${label}.corp.example`);
        const hosts = [...shortNames, ...fqdns].map((hostname) => ({ hostname }));
        const query = readHuntingQuery(buildConnectionsQuery({ hosts, from, to, pageSize: 500 }));
        expect(query.hosts?.shortNames).toEqual(uniq(shortNames));
        expect(query.hosts?.deviceNames).toEqual(uniq(fqdns));
        expect(query.pipeline).toEqual(ROWS_PIPELINE);
        expect(query.take).toBe(500);
      }),
      { numRuns: 500 },
    );
  });

  it('carries an arbitrary keyset cursor through as literals', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 2 ** 31 }), (deviceId, reportId) => {
        const after = { timestamp: '2026-11-27T10:01:02.1234567Z', deviceId, reportId: String(reportId) };
        const query = readHuntingQuery(buildConnectionsQuery({ hosts: [{ hostname: 'FIN-WS-042' }], from, to, pageSize: 10, after }));
        expect(query.kind === 'rows' && query.after).toEqual({ ...after, reportId });
        expect(query.pipeline).toEqual(NEXT_PAGE_PIPELINE);
      }),
      { numRuns: 100 },
    );
  });

  it('escapes backslash, quote, CR, LF and tab, and nothing else', () => {
    expect(kqlString('a"b\\c\nd\re\tf\'g|h//i')).toBe('"a\\"b\\\\c\\nd\\re\\tf\'g|h//i"');
  });

  it('rejects a query where a host name broke out of its literal', () => {
    const name = 'evil" or 1==1 | DeviceName';
    const escaped = buildConnectionsQuery({ hosts: [{ hostname: name }], from, to, pageSize: 10 });
    const broken = escaped.replace(kqlString(name), `"${name}"`);
    expect(broken).not.toBe(escaped);
    expect(() => readHuntingQuery(broken)).toThrow(KqlSyntaxError);
    const widened = escaped.replace(kqlString(name), '"x") or DeviceName in~ ("y"');
    expect(() => readHuntingQuery(widened.replace('in~ ("x") or', 'in~ ("x") or true or'))).toThrow(KqlSyntaxError);
  });

  it('refuses to build a query without any host to match', () => {
    expect(() => buildConnectionsQuery({ hosts: [{ hostname: '  ' }], from, to, pageSize: 10 })).toThrow(/no host identifier/);
  });
});
