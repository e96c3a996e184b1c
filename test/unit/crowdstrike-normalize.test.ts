import { describe, expect, it } from 'vitest';
import { toConnectionEvent } from '../../src/sources/crowdstrike/normalize.js';
import { NetworkEventSchema } from '../../src/sources/crowdstrike/parse.js';

const connect = (ConnectionDirection?: string | number) =>
  NetworkEventSchema.parse({
    '@id': 'e1',
    '@timestamp': 1_764_921_600_000,
    aid: 'ab'.repeat(16),
    RemoteAddressIP4: '192.0.2.44',
    RemotePort: '8443',
    Protocol: '6',
    ...(ConnectionDirection === undefined ? {} : { ConnectionDirection }),
  });

describe('a Falcon connect event', () => {
  it('takes its direction from ConnectionDirection: 0 outbound, 1 inbound, neither or both unknown, absent outbound', () => {
    const directionOf = (value?: string | number) => toConnectionEvent('falcon', connect(value), undefined).direction;
    expect(['0', 0, '1', 1, '2', '3', undefined].map(directionOf)).toEqual(['outbound', 'outbound', 'inbound', 'inbound', 'unknown', 'unknown', 'outbound']);
  });

  it('gives the process start from the joined ProcessStartTime (epoch seconds with a fraction) and the parent by base name', () => {
    const process = (fields: Record<string, unknown>) => toConnectionEvent('falcon', NetworkEventSchema.parse({ ...connect(), ...fields }), undefined).process;
    const joined = process({ ProcessStartTime: '1796000000.123', ParentBaseFileName: 'wmiprvse.exe' });
    expect(joined).toMatchObject({ started_at: 1_796_000_000_123, parent_name: 'wmiprvse.exe' });
    expect(joined?.parent_path).toBeUndefined();
    expect(process({ ProcessStartTime: 1_796_000_000 })?.started_at).toBe(1_796_000_000_000);
    expect(process({ ProcessStartTime: '1796000000.1234567' })?.started_at).toBe(1_796_000_000_123);
  });

  it('reads a missing or unreadable ProcessStartTime as absent and keeps the event', () => {
    for (const value of [undefined, '', '0', 'now', '-1', '1796000000,5', '1e9', '2026-12-05T09:00:00Z', null, {}]) {
      expect(toConnectionEvent('falcon', NetworkEventSchema.parse({ ...connect(), ProcessStartTime: value }), undefined).process?.started_at).toBeUndefined();
    }
  });
});
