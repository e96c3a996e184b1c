import { describe, expect, it } from 'vitest';
import { IpConnectEventSchema } from '../../src/sources/sentinelone/parse.js';

const row = {
  id: '1759400000000000001',
  eventTime: '2026-12-05T09:00:00.123Z',
  agentName: 'FIN-WS-042',
  dstIp: '192.0.2.44',
  dstPort: 8443,
  netEventDirection: 'OUTGOING',
  srcProcName: 'rundll32.exe',
  srcProcPid: '4242',
};

describe('a Deep Visibility IP Connect row', () => {
  it('is read from its newer names even when an older name beside it cannot be read', () => {
    const parsed = IpConnectEventSchema.parse({ ...row, createdAt: 'yesterday', pid: 'n/a', direction: 42, processName: { odd: true } });
    expect(parsed).toMatchObject({ eventTime: row.eventTime, netEventDirection: 'OUTGOING', srcProcName: 'rundll32.exe', srcProcPid: 4242 });
  });

  it('falls back to an older name only where the newer one is missing', () => {
    const { eventTime: _time, netEventDirection: _direction, srcProcName: _name, ...older } = row;
    const parsed = IpConnectEventSchema.parse({ ...older, createdAt: '2026-12-05T09:00:00.123456Z', direction: 'OUTGOING', processName: 'rundll32.exe' });
    expect(parsed).toMatchObject({ eventTime: '2026-12-05T09:00:00.123456Z', netEventDirection: 'OUTGOING', srcProcName: 'rundll32.exe' });
  });

  it('is refused without a time it can read, naming eventTime', () => {
    const { eventTime: _time, ...timeless } = row;
    const result = IpConnectEventSchema.safeParse({ ...timeless, createdAt: 'yesterday' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['eventTime']);
  });

  it('reads the process start from srcProcStartTime, else the swagger’s processStartTime, and the parent’s name and path', () => {
    const parsed = IpConnectEventSchema.parse({
      ...row,
      srcProcStartTime: '2026-12-05T08:59:58.812Z',
      processStartTime: '2026-12-05T08:00:00.000Z',
      srcProcParentName: 'services.exe',
      srcProcParentImagePath: 'C:\\Windows\\System32\\services.exe',
    });
    expect(parsed).toMatchObject({ srcProcStartTime: Date.parse('2026-12-05T08:59:58.812Z'), srcProcParentName: 'services.exe', srcProcParentImagePath: 'C:\\Windows\\System32\\services.exe' });
    expect(IpConnectEventSchema.parse({ ...row, processStartTime: '2026-12-05T08:00:00.000Z', parentProcessName: 'wmiprvse.exe' })).toMatchObject({
      srcProcStartTime: Date.parse('2026-12-05T08:00:00.000Z'),
      srcProcParentName: 'wmiprvse.exe',
    });
  });

  it('keeps a row whose start time or parent path cannot be read, without them', () => {
    for (const bad of ['', 'yesterday', '2026-12-05', '2026-12-05T08:59:58.812', '2026-13-05T08:59:58.812Z', 1_796_000_000_000, null, {}]) {
      const parsed = IpConnectEventSchema.parse({ ...row, srcProcStartTime: bad, srcProcParentImagePath: { odd: true } });
      expect(parsed.srcProcStartTime).toBeUndefined();
      expect(parsed.srcProcParentImagePath).toBeUndefined();
    }
  });
});

