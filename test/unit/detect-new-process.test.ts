import { describe, expect, it } from 'vitest';
import type { BaselineEntry, ConnectionEvent } from '../../src/contracts/connection-event.js';
import type { WatchedHost } from '../../src/contracts/watch.js';
import { buildBaseline, compileBaseline } from '../../src/detect/baseline.js';
import { createDetector } from '../../src/detect/detector.js';
import { DetectionSettingsSchema } from '../../src/detect/settings.js';
import type { Assessment } from '../../src/detect/types.js';

const DAY = 86_400_000;
const BLOCKED_AT = Date.parse('2026-11-27T10:00:00Z');
const HOSTS: WatchedHost[] = [
  { hostname: 'WS-05', ip: '10.40.0.5', baseline: 'ready' },
  { hostname: 'WS-06', ip: '10.40.0.6', baseline: 'ready' },
];
const SYS = 'C:\\Windows\\System32\\';
const POWERSHELL = `${SYS}WindowsPowerShell\\v1.0\\powershell.exe`;
const C2_ELSEWHERE = '198.51.100.80';
const settings = DetectionSettingsSchema.parse({ networks: { internal: ['10.40.0.0/16'] }, builtin_catalog: false });

const week = (host: string, fields: Partial<BaselineEntry>): BaselineEntry => ({
  host,
  protocol: 'tcp',
  count: 2_000,
  first_seen: BLOCKED_AT - 7 * DAY,
  last_seen: BLOCKED_AT - 60_000,
  ...fields,
});

/** Both hosts talk to the DC; WS-05 has run PowerShell to the address the implant on WS-06 will use. */
const BASELINE: BaselineEntry[] = [
  ...HOSTS.map((host) => week(host.hostname!, { process_path: `${SYS}svchost.exe`, dst_ip: '10.40.0.2', dst_port: 389 })),
  week('WS-05', { process_path: POWERSHELL, dst_ip: C2_ELSEWHERE, dst_port: 80 }),
  week('WS-06', { process_path: `${SYS}BackgroundTransferHost.exe`, dst_ip: '23.62.18.39', dst_port: 443 }),
];

const detector = createDetector({
  context: { watchId: 'w-new', incidentId: 'INC-12', blocked: [{ type: 'ip', value: '203.0.113.7' }], hosts: HOSTS, blockedAt: BLOCKED_AT },
  baseline: compileBaseline(buildBaseline(BASELINE, HOSTS, settings)),
  settings,
  now: () => BLOCKED_AT,
});

let next = 0;
function started(host: string, path: string, parent: string, startedAt: number, dst: { ip: string; port: number }): ConnectionEvent {
  return {
    id: `n-${next++}`,
    source: 'sysmon',
    time: Math.max(startedAt, BLOCKED_AT) + 5_000,
    device: { hostname: host },
    process: { path, cmd_line: `"${path}"`, parent_path: parent, parent_name: parent.split('\\').pop(), started_at: startedAt },
    dst_endpoint: dst,
    protocol: 'tcp',
    direction: 'outbound',
    outcome: 'success',
  };
}

const found = (assessment: Assessment) => {
  if (assessment.type !== 'finding') throw new Error(`expected a finding, got ${JSON.stringify(assessment)}`);
  return assessment.finding;
};

describe('a process that first ran after the block', () => {
  it('PowerShell started by a service\'s cmd.exe on another host, reaching an address the estate knows, is a medium finding', () => {
    const finding = found(detector.assess(started('WS-06', POWERSHELL, `${SYS}cmd.exe`, BLOCKED_AT + 90_000, { ip: C2_ELSEWHERE, port: 80 })));
    expect(finding.kind).toContain('new_process');
    expect(finding.kind).not.toContain('new_destination');
    expect(['medium', 'high']).toContain(finding.severity);
    expect(finding.reasons).toContain('powershell.exe first ran at 2026-11-27T10:01:30Z, 90 s after the block');
    expect(finding.reasons).toContain(`powershell.exe was started by ${SYS}cmd.exe: a shell or script host`);
    expect(finding.process).toMatchObject({ parent_name: 'cmd.exe', started_at: '2026-11-27T10:01:30.000Z' });
  });

  it('a binary no host ever ran, started by WMI after the block, is a finding even to an exact tuple of the baseline', () => {
    const dropped = 'C:\\Windows\\Temp\\svcupd.exe';
    const finding = found(detector.assess(started('WS-05', dropped, `${SYS}wbem\\WmiPrvSE.exe`, BLOCKED_AT + 60_000, { ip: C2_ELSEWHERE, port: 80 })));
    expect(finding.kind).toEqual(expect.arrayContaining(['quiet_process', 'new_process']));
    expect(finding.severity).toBe('high');
    const sameTupleAsBaseline = found(detector.assess(started('WS-05', POWERSHELL, `${SYS}wbem\\WmiPrvSE.exe`, BLOCKED_AT + 60_000, { ip: C2_ELSEWHERE, port: 80 })));
    expect(sameTupleAsBaseline.kind).toContain('new_process');
  });

  it('the same PowerShell started before the block, or a Windows binary the host already had started the usual way, is no new process', () => {
    const before = detector.assess(started('WS-05', POWERSHELL, `${SYS}cmd.exe`, BLOCKED_AT - 3_600_000, { ip: C2_ELSEWHERE, port: 80 }));
    expect(before).toEqual({ type: 'normal' });
    const restarted = detector.assess(
      started('WS-06', `${SYS}BackgroundTransferHost.exe`, `${SYS}svchost.exe`, BLOCKED_AT + 120_000, { ip: '23.62.18.39', port: 443 }),
    );
    expect(restarted).toEqual({ type: 'normal' });
    const service = detector.assess(started('WS-06', `${SYS}svchost.exe`, `${SYS}services.exe`, BLOCKED_AT + 120_000, { ip: '10.40.0.2', port: 389 }));
    expect(service).toEqual({ type: 'normal' });
  });

  it('a service whose binary sits outside the Windows and Program Files folders is how PsExec runs a payload', () => {
    const finding = found(detector.assess(started('WS-06', 'C:\\Windows\\PSEXESVC.exe', `${SYS}services.exe`, BLOCKED_AT + 30_000, { ip: '10.40.0.5', port: 445 })));
    expect(finding.kind).toContain('new_process');
    expect(finding.reasons.join('\n')).toContain('the service control manager from outside the Windows and Program Files folders');
  });
});
