import { describe, expect, it } from 'vitest';
import { aggregate, readAggregator, type Row } from '../../src/sources/crowdstrike/dev/cql-aggregates.js';
import { parseQuery } from '../../src/sources/crowdstrike/dev/cql-parser.js';
import { readJobQuery } from '../../src/sources/crowdstrike/dev/cql-reader.js';
import { buildDestinationPrevalenceQuery, buildPortPrevalenceQuery } from '../../src/sources/crowdstrike/cql.js';

/** The last stage of `query`, read as an aggregate function call. */
function aggregatorOf(query: string) {
  const stage = parseQuery(`#event_simpleName="X" | ${query}`).at(-1);
  if (stage?.kind !== 'call') throw new Error('not a call');
  return readAggregator(stage.call);
}

const AID_A = 'a'.repeat(32);
const AID_B = 'b'.repeat(32);
const AID_C = 'c'.repeat(32);

describe('CrowdStrike estate prevalence queries', () => {
  it('reads every device’s network events, with the host count riding on each protocol/port group', () => {
    expect(buildPortPrevalenceQuery({ maxGroups: 100_000 })).toBe(
      [
        '(#event_simpleName="NetworkConnectIP4" or #event_simpleName="NetworkConnectIP6")',
        '| default(field=[Protocol, RemotePort], value="")',
        '| stats([count(aid, distinct=true, as=EstateHosts), groupBy([Protocol, RemotePort], function=count(aid, distinct=true, as=Hosts), limit=100000)])',
      ].join('\n'),
    );
    expect(readJobQuery(buildPortPrevalenceQuery({ maxGroups: 5 }))).toMatchObject({ kind: 'aggregate', defaults: { fields: ['Protocol', 'RemotePort'] } });
  });

  it('keeps the most widespread destinations, filtered by LogScale, with the group count on every row', () => {
    expect(buildDestinationPrevalenceQuery({ maxGroups: 100_000, keep: 20_000, minHosts: 2 })).toBe(
      [
        '(#event_simpleName="NetworkConnectIP4" or #event_simpleName="NetworkConnectIP6")',
        '| default(field=[RemoteAddressIP4, RemoteAddressIP6], value="")',
        '| groupBy([RemoteAddressIP4, RemoteAddressIP6], function=count(aid, distinct=true, as=Hosts), limit=100000)',
        '| stats([count(as=Groups), sort(Hosts, order=desc, limit=20000)])',
        '| Hosts >= 2',
      ].join('\n'),
    );
    expect(() => buildDestinationPrevalenceQuery({ maxGroups: 10, keep: 5, minHosts: 1.5 })).toThrow(RangeError);
  });
});

describe('the fake’s LogScale aggregates', () => {
  const rows: Row[] = [
    { aid: AID_A, Protocol: '6', RemotePort: '443' },
    { aid: AID_A, Protocol: '6', RemotePort: '443' },
    { aid: AID_B, Protocol: '6', RemotePort: '443' },
    { aid: AID_B, Protocol: '17', RemotePort: '53' },
    { aid: AID_C, Protocol: '1' },
  ];

  it('combines stats() outputs as a Cartesian product and drops events missing a group field', () => {
    const stats = aggregatorOf('stats([count(aid, distinct=true, as=EstateHosts), groupBy([Protocol, RemotePort], function=count(aid, distinct=true, as=Hosts))])');
    expect(aggregate(stats, rows)).toEqual([
      { EstateHosts: '3', Protocol: '6', RemotePort: '443', Hosts: '2' },
      { EstateHosts: '3', Protocol: '17', RemotePort: '53', Hosts: '1' },
    ]);
    expect(aggregate(stats, [])).toEqual([{ EstateHosts: '0' }]);
  });

  it('stops opening groups at the groupBy() limit, and sort() keeps the top rows by number', () => {
    const groupBy = aggregatorOf('groupBy([Protocol], function=count(aid, distinct=true, as=Hosts), limit=1)');
    expect(aggregate(groupBy, rows)).toEqual([{ Protocol: '6', Hosts: '2' }]);
    const sort = aggregatorOf('sort(Hosts, order=desc, limit=2)');
    expect(aggregate(sort, [{ Hosts: '2' }, { Hosts: '10' }, { Hosts: '3' }])).toEqual([{ Hosts: '10' }, { Hosts: '3' }]);
  });
});
