import { describe, expect, it } from 'vitest';
import { runSearch, validateCommands } from '../../src/sources/splunk/dev/spl-engine.js';
import { parseSpl } from '../../src/sources/splunk/dev/spl-parser.js';
import type { IndexedEvent } from '../../src/sources/splunk/dev/sysmon-events.js';
import {
  buildDestinationPrevalenceSearch,
  buildHostCountSearch,
  buildPortPrevalenceSearch,
  eventSelection,
} from '../../src/sources/splunk/spl.js';

const selection = eventSelection({});

function run(spl: string, events: IndexedEvent[]) {
  const commands = parseSpl(spl);
  validateCommands(commands);
  return runSearch(commands, events);
}

const sysmon = (time: number, fields: Record<string, string>): IndexedEvent => ({
  time,
  indexTime: time,
  fields: {
    index: 'sysmon',
    sourcetype: 'XmlWinEventLog:Microsoft-Windows-Sysmon/Operational',
    EventCode: '3',
    Initiated: 'true',
    Protocol: 'tcp',
    DestinationPort: '443',
    ...fields,
  },
});

describe('SPL estate prevalence searches', () => {
  it('run the configured selection with no host filter, one stats dc(Computer) each', () => {
    const searches = [
      buildHostCountSearch(selection),
      buildPortPrevalenceSearch(selection),
      buildDestinationPrevalenceSearch({ selection, minHosts: 2, limit: 20_000 }),
    ];

    for (const spl of searches) expect(spl.split('\n')[0]).toBe(selection);
    expect(searches.map((spl) => parseSpl(spl).map((command) => command.kind))).toEqual([
      ['search', 'stats'],
      ['search', 'fillnull', 'stats'],
      ['search', 'eval', 'stats', 'where', 'sort'],
    ]);
    expect(searches.join('\n')).not.toMatch(/Computer\)?\s*==/);
    expect(searches[2]).toContain('| where cw_hosts>=2 AND cw_destination!="-"\n| sort 20000 -cw_hosts, cw_destination');
  });

  it('never asks sort for 0 rows (which means every row), and refuses counts that are not integers', () => {
    expect(buildDestinationPrevalenceSearch({ selection, minHosts: 2, limit: 0 })).toContain('| sort 1 ');
    expect(() => buildDestinationPrevalenceSearch({ selection, minHosts: 1.5, limit: 10 })).toThrow(RangeError);
    expect(() => buildDestinationPrevalenceSearch({ selection, minHosts: 2, limit: Number.NaN })).toThrow(RangeError);
  });

  it('counts each host once per destination, its address and its name alike, lower-cased, without the root dot or "-"', () => {
    const events = [
      sysmon(1, { Computer: 'a.corp', DestinationIp: '198.51.100.7', DestinationHostname: 'CDN.Example.com.' }),
      sysmon(2, { Computer: 'a.corp', DestinationIp: '198.51.100.7', DestinationHostname: 'cdn.example.com' }),
      sysmon(3, { Computer: 'b.corp', DestinationIp: '198.51.100.8', DestinationHostname: 'cdn.example.com' }),
      sysmon(4, { Computer: 'c.corp', DestinationIp: '198.51.100.8', DestinationHostname: '-' }),
      sysmon(5, { Computer: 'd.corp', DestinationIp: '203.0.113.9', DestinationHostname: '-' }),
    ];

    expect(run(buildDestinationPrevalenceSearch({ selection, minHosts: 2, limit: 10 }), events)).toEqual([
      { cw_destination: '198.51.100.8', cw_hosts: '2' },
      { cw_destination: 'cdn.example.com', cw_hosts: '2' },
    ]);
    expect(run(buildDestinationPrevalenceSearch({ selection, minHosts: 1, limit: 1 }), events)).toEqual([{ cw_destination: '198.51.100.8', cw_hosts: '2' }]);
    expect(run(buildHostCountSearch(selection), events)).toEqual([{ cw_hosts: '4' }]);
    expect(run(buildHostCountSearch(selection), [])).toEqual([{ cw_hosts: '0' }]);
  });

  it('keeps events without a protocol or port in the port counts, as empty values', () => {
    const events = [
      sysmon(1, { Computer: 'a.corp' }),
      sysmon(2, { Computer: 'b.corp' }),
      { time: 3, indexTime: 3, fields: { index: 'sysmon', sourcetype: 'XmlWinEventLog:Microsoft-Windows-Sysmon/Operational', EventCode: '3', Initiated: 'true', Computer: 'b.corp' } },
    ];

    expect(run(buildPortPrevalenceSearch(selection), events)).toEqual([
      { Protocol: '', DestinationPort: '', cw_hosts: '1' },
      { Protocol: 'tcp', DestinationPort: '443', cw_hosts: '2' },
    ]);
  });
});
