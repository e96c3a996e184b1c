import { describe, expect, it } from 'vitest';
import type { BaselineEntry } from '../../src/contracts/connection-event.js';
import { attributeBaseline, baselineFromEvents, type DeviceRow } from '../../src/sources/event-baseline.js';
import type { HostRef } from '../../src/sources/types.js';

const entry = (host: string, overrides: Partial<BaselineEntry> = {}): BaselineEntry => ({
  host,
  process_path: 'C:\\Windows\\System32\\svchost.exe',
  dst_ip: '20.190.151.7',
  dst_port: 443,
  protocol: 'tcp',
  count: 3,
  first_seen: 1_000,
  last_seen: 2_000,
  ...overrides,
});

const DEVICE = { uid: 'a'.repeat(40), hostname: 'fin-ws-042.corp.example', ip: '10.20.2.13' };
const row = (device: DeviceRow['device'], overrides: Partial<BaselineEntry> = {}): DeviceRow => ({ device, entry: entry(device.hostname ?? '', overrides) });

describe('attributeBaseline', () => {
  it.each<[string, HostRef, string]>([
    ['only by IP', { ip: '10.20.2.13' }, '10.20.2.13'],
    ['only by its short name', { hostname: 'FIN-WS-042' }, 'FIN-WS-042'],
    ['only by the vendor id, in another case', { edr_id: 'A'.repeat(40) }, 'A'.repeat(40)],
    ['by a name the vendor does not use, and its id', { hostname: 'asset-7731', edr_id: 'a'.repeat(40) }, 'asset-7731'],
  ])('names the row of a host given %s as the watch names that host', (_how, host, label) => {
    expect(attributeBaseline([host], [row(DEVICE)])).toEqual([entry(label)]);
  });

  it('keeps the vendor name on a row of no asked host, so it still counts towards prevalence', () => {
    const other = { uid: 'b'.repeat(40), hostname: 'hr-ws-007.corp.example', ip: '10.20.3.7' };
    expect(attributeBaseline([{ ip: '10.20.2.13' }], [row(other)])).toEqual([entry('hr-ws-007.corp.example')]);
  });

  it('merges the rows of one host that the vendor split by address, counts added and first/last widened', () => {
    const moved = { ...DEVICE, ip: '10.99.0.13' };
    const rows = [row(DEVICE), row(moved, { count: 2, first_seen: 500, last_seen: 1_500 })];
    expect(attributeBaseline([{ hostname: 'FIN-WS-042' }], rows)).toEqual([entry('FIN-WS-042', { count: 5, first_seen: 500, last_seen: 2_000 })]);
  });

  it('gives each of two hosts its own rows when one is asked by IP and the other by name', () => {
    const other = { uid: 'b'.repeat(40), hostname: 'FIN-WS-043', ip: '10.20.2.14' };
    const attributed = attributeBaseline([{ ip: '10.20.2.13' }, { hostname: 'fin-ws-043' }], [row(DEVICE), row(other)]);
    expect(attributed.map((attributedEntry) => attributedEntry.host).sort()).toEqual(['10.20.2.13', 'fin-ws-043']);
  });
});

describe('baselineFromEvents', () => {
  it('attributes a firewall session, known only by its source IP, to the host asked by name and IP', () => {
    const session = {
      id: 'panos:1',
      source: 'panos-prod',
      time: 1_000,
      device: {},
      src_endpoint: { ip: '10.20.2.13' },
      dst_endpoint: { ip: '20.190.151.7', port: 443 },
      protocol: 'tcp',
      direction: 'outbound' as const,
      outcome: 'success' as const,
    };
    expect(baselineFromEvents([{ hostname: 'FIN-WS-042', ip: '10.20.2.13' }], [session])).toEqual([
      { host: 'FIN-WS-042', process_path: undefined, process_name: undefined, sha1: undefined, dst_ip: '20.190.151.7', dst_hostname: undefined, dst_port: 443, protocol: 'tcp', count: 1, first_seen: 1_000, last_seen: 1_000 },
    ]);
  });
});
