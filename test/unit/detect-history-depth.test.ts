import { describe, expect, it } from 'vitest';
import type { BaselineEntry, ConnectionEvent } from '../../src/contracts/connection-event.js';
import type { WatchedHost } from '../../src/contracts/watch.js';
import { buildBaseline, compileBaseline } from '../../src/detect/baseline.js';
import { createDetector } from '../../src/detect/detector.js';
import { DetectionSettingsSchema, type DetectionSettingsInput } from '../../src/detect/settings.js';
import type { Assessment } from '../../src/detect/types.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const BLOCKED_AT = Date.parse('2026-11-27T10:00:00Z');
const HOST: WatchedHost = { hostname: 'LAB-WS-01', ip: '10.30.0.21', baseline: 'ready' };
const PEERS = ['LAB-WS-02', 'LAB-WS-03', 'LAB-WS-04'];
const EDGE = 'C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe';
const OFFICE = 'C:\\Program Files\\Common Files\\microsoft shared\\ClickToRun\\OfficeClickToRun.exe';
const SVCHOST = 'C:\\Windows\\System32\\svchost.exe';

const row = (host: string, fields: Partial<BaselineEntry>, span: { from: number; to: number; count: number }): BaselineEntry => ({
  host,
  protocol: 'tcp',
  count: span.count,
  first_seen: span.from,
  last_seen: span.to,
  ...fields,
});

/** One hour of telemetry, a month before the block: what a "45-day baseline" held on the lab host. */
const ONE_HOUR = { from: BLOCKED_AT - 30 * DAY, to: BLOCKED_AT - 30 * DAY + 50 * 60_000, count: 40 };
/** Six weeks of it. */
const WEEKS = { from: BLOCKED_AT - 42 * DAY, to: BLOCKED_AT - HOUR, count: 5_000 };

function detectorFor(span: typeof ONE_HOUR, extra: BaselineEntry[] = [], settingsInput: DetectionSettingsInput = {}) {
  const settings = DetectionSettingsSchema.parse({ builtin_catalog: false, ...settingsInput });
  const entries = [
    row(HOST.hostname!, { process_path: SVCHOST, dst_ip: '10.30.0.5', dst_port: 445 }, span),
    ...PEERS.map((peer) => row(peer, { process_path: SVCHOST, dst_ip: '10.30.0.5', dst_port: 445 }, span)),
    ...extra,
  ];
  const snapshot = buildBaseline(entries, [HOST], settings, { window: { from: BLOCKED_AT - 45 * DAY, to: BLOCKED_AT } });
  return createDetector({
    context: { watchId: 'w-depth', incidentId: 'INC-9', blocked: [{ type: 'ip', value: '203.0.113.7' }], hosts: [HOST], blockedAt: BLOCKED_AT },
    baseline: compileBaseline(snapshot),
    settings,
    now: () => BLOCKED_AT,
  });
}

let next = 0;
function connection(path: string | undefined, dst: { ip: string; port: number }, protocol = 'tcp'): ConnectionEvent {
  return {
    id: `d-${next++}`,
    source: 'sysmon',
    time: BLOCKED_AT + 10 * 60_000,
    device: { hostname: HOST.hostname, ip: HOST.ip },
    ...(path !== undefined && { process: { path, cmd_line: `"${path}" /c` } }),
    dst_endpoint: dst,
    protocol,
    direction: 'outbound',
    outcome: 'success',
  };
}

const severity = (assessment: Assessment) => (assessment.type === 'finding' ? assessment.finding.severity : assessment.type);

describe('how much history a baseline holds decides what "never seen" is worth', () => {
  it('with one hour of telemetry in a 45-day window, ordinary Windows and Office processes reaching new addresses are no finding', () => {
    const thin = detectorFor(ONE_HOUR);
    for (const path of [EDGE, OFFICE]) {
      expect(severity(thin.assess(connection(path, { ip: '13.107.246.40', port: 443 }))), path).toBe('normal');
    }
  });

  it('the same process against six weeks of telemetry is a finding, and its reason says how much history there was', () => {
    const deep = detectorFor(WEEKS).assess(connection(OFFICE, { ip: '13.107.246.40', port: 443 }));
    expect(deep.type).toBe('finding');
    const thin = detectorFor(ONE_HOUR, [row(HOST.hostname!, { process_path: SVCHOST, dst_ip: '10.30.0.6', dst_port: 445 }, ONE_HOUR)]);
    const rundll = thin.assess(connection('C:\\Windows\\System32\\rundll32.exe', { ip: '192.0.2.44', port: 8443 }));
    if (rundll.type !== 'finding') throw new Error('a LOLBin on the network is a finding whatever the history');
    expect(rundll.finding.reasons[0]).toBe('rundll32.exe has made no network connection on LAB-WS-01 in 1 h of telemetry over 45 days');
    expect(rundll.finding.reasons).toContain('port 8443/tcp was seen on 0 of 4 hosts in the baseline (only 4 host-hours of telemetry)');
  });

  it('a port the host itself used in its baseline is never uncommon for it, however few other hosts use it', () => {
    const own = row(HOST.hostname!, { process_path: 'C:\\Tools\\sync.exe', dst_ip: '198.51.100.9', dst_port: 8443 }, WEEKS);
    const detector = detectorFor(WEEKS, [own]);
    const again = detector.assess(connection('C:\\Tools\\sync.exe', { ip: '198.51.100.77', port: 8443 }));
    expect(again.type === 'finding' ? again.finding.kind : []).not.toContain('uncommon_port');
    const elsewhere = detectorFor(WEEKS).assess(connection('C:\\Tools\\sync.exe', { ip: '198.51.100.77', port: 8443 }));
    expect(elsewhere.type === 'finding' ? elsewhere.finding.kind : []).toContain('uncommon_port');
  });

  it("a sensor log's external originators are not hosts: 800 internet scanners do not make 443 rare", () => {
    const scanners = Array.from({ length: 800 }, (_, index) =>
      row(`198.18.${Math.floor(index / 250)}.${(index % 250) + 1}`, { dst_ip: '10.30.0.21', dst_port: 23 + (index % 7) }, WEEKS),
    );
    const web = [HOST.ip!, '10.30.0.22'].map((ip) => row(ip, { dst_ip: '93.184.216.34', dst_port: 443 }, WEEKS));
    const settings = DetectionSettingsSchema.parse({ networks: { internal: ['10.30.0.0/16'] } });
    const snapshot = buildBaseline([...scanners, ...web], [HOST], settings);
    expect(snapshot.environment.host_count).toBe(2);
    expect(snapshot.excluded_rows).toBe(800);
    const unconfigured = buildBaseline([...scanners, ...web], [HOST], DetectionSettingsSchema.parse({}));
    expect(unconfigured.environment.host_count).toBe(1);
  });

  it('a process first on the network in the hour before the block is not established: the implant\'s last moves are no alibi', () => {
    const dropped = 'C:\\Users\\alice\\Desktop\\update.exe';
    const lastMinutes = row(HOST.hostname!, { process_path: dropped, dst_ip: '10.30.0.22', dst_port: 50115 }, {
      from: BLOCKED_AT - 5 * 60_000,
      to: BLOCKED_AT - 60_000,
      count: 2,
    });
    const toPeer = connection(dropped, { ip: '10.30.0.22', port: 135 });
    const judged = detectorFor(WEEKS, [lastMinutes], { networks: { internal: ['10.30.0.0/16'] } }).assess(toPeer);
    if (judged.type !== 'finding') throw new Error(`expected a finding, got ${judged.type}`);
    expect(judged.finding.kind).toEqual(expect.arrayContaining(['quiet_process', 'protocol_shift']));
    expect(['medium', 'high']).toContain(judged.finding.severity);
    const established = row(HOST.hostname!, { process_path: dropped, dst_ip: '10.30.0.22', dst_port: 135 }, WEEKS);
    expect(detectorFor(WEEKS, [established], { networks: { internal: ['10.30.0.0/16'] } }).assess(toPeer)).toEqual({ type: 'normal' });
  });
});
