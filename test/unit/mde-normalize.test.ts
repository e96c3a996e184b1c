import { describe, expect, it } from 'vitest';
import { ConnectionRowSchema, toConnectionEvent } from '../../src/sources/mde/parse.js';

const row = {
  Timestamp: '2026-12-05T09:00:20.1234567Z',
  DeviceId: 'ab'.repeat(20),
  DeviceName: 'fin-ws-042.corp.example',
  ActionType: 'ConnectionSuccess',
  RemoteIP: '192.0.2.44',
  RemotePort: 8443,
  Protocol: 'Tcp',
  InitiatingProcessFileName: 'rundll32.exe',
  InitiatingProcessParentFileName: 'services.exe',
  ReportId: 42,
};

const processOf = (overrides: Record<string, unknown>) => toConnectionEvent('mde', ConnectionRowSchema.parse({ ...row, ...overrides })).process;

describe('a DeviceNetworkEvents row', () => {
  it('gives the process start from InitiatingProcessCreationTime, to the millisecond, and the parent by name only', () => {
    const process = processOf({ InitiatingProcessCreationTime: '2026-12-05T09:00:18.0019999Z' });
    expect(process).toMatchObject({ parent_name: 'services.exe', started_at: Date.parse('2026-12-05T09:00:18.001Z') });
    expect(process?.parent_path).toBeUndefined();
    expect(processOf({ InitiatingProcessCreationTime: '2026-12-05T09:00:18Z' })?.started_at).toBe(Date.parse('2026-12-05T09:00:18Z'));
  });

  it('reads a missing, null or unreadable creation time as absent, and keeps the row', () => {
    const unreadable = [undefined, null, '', 'yesterday', '2026-12-05 09:00:18', '2026-02-30T00:00:00Z', '2026-12-05T09:00:18+01:00', '1970-01-01T00:00:00Z', 1_796_000_000_000, {}];
    for (const value of unreadable) expect(processOf({ InitiatingProcessCreationTime: value })?.started_at).toBeUndefined();
  });
});
