import { describe, expect, it } from 'vitest';
import { toConnectionEvent } from '../../src/sources/elastic/normalize.js';
import { HitSchema } from '../../src/sources/elastic/parse.js';

const TIME = '2026-12-05T09:00:20.500Z';

const processOf = (fields: Record<string, unknown[]>) =>
  toConnectionEvent(
    'elastic',
    HitSchema.parse({
      _index: '.ds-logs-endpoint.events.network-default-2026.12.01-000001',
      _id: 'a1',
      fields: { '@timestamp': [TIME], 'host.name': ['fin-ws-042'], 'process.executable': ['C:\\Windows\\System32\\rundll32.exe'], ...fields },
    }),
  ).process;

describe('an Elastic network event', () => {
  it('starts its process process.uptime seconds before @timestamp', () => {
    expect(processOf({ 'process.uptime': [18] })?.started_at).toBe(Date.parse(TIME) - 18_000);
    expect(processOf({ 'process.uptime': ['0'] })?.started_at).toBe(Date.parse(TIME));
  });

  it('has no start without a readable process.uptime: absent, negative, fractional or not a number', () => {
    for (const uptime of [undefined, -5, 1.5, '1e3', '', 'ten', true]) {
      expect(processOf(uptime === undefined ? {} : { 'process.uptime': [uptime] })?.started_at).toBeUndefined();
    }
    // Up since before 1970: no such process.
    expect(processOf({ 'process.uptime': [Math.ceil(Date.parse(TIME) / 1_000) + 60] })?.started_at).toBeUndefined();
  });

  it('names the parent only when the document has process.parent.* (Defend network events and Sysmon Event ID 3 do not)', () => {
    expect(processOf({})).toMatchObject({ parent_name: undefined, parent_path: undefined });
    expect(processOf({ 'process.parent.name': ['WmiPrvSE.exe'], 'process.parent.executable': ['C:\\Windows\\System32\\wbem\\WmiPrvSE.exe'] })).toMatchObject({
      parent_name: 'WmiPrvSE.exe',
      parent_path: 'C:\\Windows\\System32\\wbem\\WmiPrvSE.exe',
    });
  });
});
