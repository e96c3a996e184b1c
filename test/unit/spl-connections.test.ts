import { describe, expect, it } from 'vitest';
import { runSearch, validateCommands } from '../../src/sources/splunk/dev/spl-engine.js';
import { parseSpl } from '../../src/sources/splunk/dev/spl-parser.js';
import type { IndexedEvent } from '../../src/sources/splunk/dev/sysmon-events.js';
import { buildConnectionsSearch, eventSelection } from '../../src/sources/splunk/spl.js';

const UNTIL = Date.UTC(2026, 11, 7, 12, 0, 0, 500);
const SINCE = UNTIL - 120_000;

const event = (id: string, time: number, indexTime: number): IndexedEvent => ({
  time,
  indexTime,
  fields: {
    index: 'sysmon',
    sourcetype: 'XmlWinEventLog:Microsoft-Windows-Sysmon/Operational',
    EventCode: '3',
    Initiated: 'true',
    Computer: 'fin-ws-042.corp.example',
    EventRecordID: id,
  },
});

function recordIds(spl: string, events: IndexedEvent[]): string[] {
  const commands = parseSpl(spl);
  validateCommands(commands);
  return runSearch(commands, events)
    .map((row) => String(row.EventRecordID))
    .sort();
}

describe('the Splunk connections search of a covered range', () => {
  const search = buildConnectionsSearch({
    selection: eventSelection({}),
    hosts: [{ hostname: 'FIN-WS-042' }],
    covered: { until: new Date(UNTIL), ingestedSince: new Date(SINCE) },
  });

  it('keeps what was indexed since, to the whole second _indextime holds, and everything from its end on; leaves out the rest', () => {
    const events = [
      event('covered-indexed-before', UNTIL - 60_000, SINCE - 1_000),
      // Indexed 0.2 s after `ingestedSince`, whose second _indextime holds: a bound compared with its fraction loses it.
      event('covered-indexed-same-second', UNTIL - 60_000, SINCE + 200),
      event('covered-indexed-since', UNTIL - 90_000, SINCE + 30_000),
      event('after-covered', UNTIL + 1_000, SINCE - 60_000),
    ];

    expect(recordIds(search, events)).toEqual(['after-covered', 'covered-indexed-same-second', 'covered-indexed-since']);
    expect(search).toContain('isnull(_indextime)');
  });

  it('has no ingestion filter without a covered range', () => {
    expect(buildConnectionsSearch({ selection: eventSelection({}), hosts: [{ hostname: 'FIN-WS-042' }] })).not.toContain('_indextime');
  });
});
