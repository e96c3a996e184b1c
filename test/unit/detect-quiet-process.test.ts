import { describe, expect, it } from 'vitest';
import type { BaselineEntry, ConnectionEvent } from '../../src/contracts/connection-event.js';
import type { WatchedHost } from '../../src/contracts/watch.js';
import { buildBaseline, compileBaseline } from '../../src/detect/baseline.js';
import { createDetector } from '../../src/detect/detector.js';
import { UNSIGNED_SIGNER } from '../../src/detect/signals/quiet-process.js';
import { DetectionSettingsSchema } from '../../src/detect/settings.js';
import type { Assessment } from '../../src/detect/types.js';

const DAY = 86_400_000;
const BLOCKED_AT = Date.parse('2026-11-27T10:00:00Z');
const HOSTS: WatchedHost[] = [
  { hostname: 'FIN-WS-042', ip: '10.20.1.42', baseline: 'ready' },
  { hostname: 'FIN-WS-043', ip: '10.20.1.43', baseline: 'ready' },
];
const RUNDLL32 = 'C:\\Windows\\System32\\rundll32.exe';
const AGENT = 'C:\\Program Files\\Vendor\\agent.exe';
const SYNC = 'C:\\Tools\\sync.exe';
const SHA1 = { rundll32: '1'.repeat(40), agent: 'a'.repeat(40), agentNew: 'b'.repeat(40), sync: 'c'.repeat(40), dropped: 'd'.repeat(40) };
const NEW_IP = { ip: '192.0.2.60', port: 443 };
const settings = DetectionSettingsSchema.parse({ networks: { internal: ['10.20.0.0/16'] } });

const row = (host: string, fields: Partial<BaselineEntry>): BaselineEntry => ({
  host,
  protocol: 'tcp',
  count: 500,
  first_seen: BLOCKED_AT - 6 * DAY,
  last_seen: BLOCKED_AT - DAY,
  ...fields,
});

/** 043 runs the vendor agent and a printing rundll32; 042 runs a sync tool. Both reach the intranet on 443. */
const WEEK: BaselineEntry[] = [
  row('FIN-WS-043', { process_path: AGENT, sha1: SHA1.agent, dst_ip: '198.18.0.10', dst_port: 443 }),
  row('FIN-WS-043', { process_path: RUNDLL32, sha1: SHA1.rundll32, dst_ip: '10.20.0.30', dst_port: 9100 }),
  row('FIN-WS-042', { process_path: SYNC, sha1: SHA1.sync, dst_ip: '10.20.0.40', dst_port: 443 }),
  ...['FIN-WS-042', 'FIN-WS-043'].map((host) => row(host, { process_path: SYNC, sha1: SHA1.sync, dst_ip: '10.20.0.50', dst_port: 443 })),
];

function detectorFor(entries: BaselineEntry[] = WEEK) {
  const context = { watchId: 'w-quiet', incidentId: 'INC-3', blocked: [{ type: 'ip' as const, value: '203.0.113.7' }], hosts: HOSTS };
  const snapshot = buildBaseline(entries, HOSTS, settings, { window: { from: BLOCKED_AT - 7 * DAY, to: BLOCKED_AT } });
  return createDetector({ context, baseline: compileBaseline(snapshot), settings, now: () => BLOCKED_AT });
}

let next = 0;
function fromFin042(process: NonNullable<ConnectionEvent['process']>, dst: { ip: string; port: number } = { ip: '10.20.0.50', port: 443 }): ConnectionEvent {
  return {
    id: `q-${next++}`,
    source: 'mde-prod',
    time: BLOCKED_AT + 60_000,
    device: { hostname: 'FIN-WS-042' },
    process,
    dst_endpoint: dst,
    protocol: 'tcp',
    direction: 'outbound',
    outcome: 'success',
  };
}

function finding(assessment: Assessment) {
  if (assessment.type !== 'finding') throw new Error(`expected a finding, got ${JSON.stringify(assessment)}`);
  return assessment.finding;
}

describe('quiet processes, beyond "never on the network here"', () => {
  it('a process started with an empty command line is more suspicious than the same one with arguments', () => {
    const detector = detectorFor();
    const path = 'C:\\ProgramData\\Cache\\svc.exe';
    const empty = finding(detector.assess(fromFin042({ path, cmd_line: '' }, NEW_IP)));
    const withArgs = finding(detector.assess(fromFin042({ path, cmd_line: 'svc.exe --sync' }, NEW_IP)));
    expect(empty.reasons).toContain('svc.exe ran with an empty command line, as hollowed or injected processes often do');
    expect(empty.score).toBeGreaterThan(withArgs.score);
    expect(withArgs.reasons.join('\n')).not.toContain('empty command line');
    const unknown = finding(detector.assess(fromFin042({ path }, NEW_IP)));
    expect(unknown.reasons.join('\n')).not.toContain('empty command line');
  });

  it('a copy of rundll32 renamed and dropped in C:\\Users\\Public is high even towards a known server: renamed, LOLBin, writable', () => {
    const found = finding(detectorFor().assess(fromFin042({ path: 'C:\\Users\\Public\\update.exe', sha1: SHA1.rundll32.toUpperCase() })));
    expect(found.kind).toEqual(['quiet_process']);
    expect(found.severity).toBe('high');
    expect(found.reasons).toEqual([
      'update.exe has made no network connection on FIN-WS-042 in 121 h of telemetry over 7 days',
      'update.exe is a renamed copy of rundll32.exe: the baseline knows its SHA-1 under that name',
      'rundll32.exe is a Windows system binary that rarely makes network connections',
      'C:\\Users\\Public\\update.exe runs from a user-writable or unusual folder (\\users\\public\\)',
    ]);
  });

  it('the same hash under its own name, or in another folder, is not a rename', () => {
    const detector = detectorFor();
    const moved = detector.assess(fromFin042({ path: 'D:\\Tools\\sync.exe', sha1: SHA1.sync }));
    expect(moved).toEqual({ type: 'normal' });
  });

  it('a new build of a binary the fleet runs, unknown on this host, counts more than the known build', () => {
    const detector = detectorFor();
    const knownBuild = finding(detector.assess(fromFin042({ path: AGENT, sha1: SHA1.agent }, NEW_IP)));
    const newBuild = finding(detector.assess(fromFin042({ path: AGENT, sha1: SHA1.agentNew }, NEW_IP)));
    expect(knownBuild.severity).toBe('low');
    expect(newBuild.severity).toBe('medium');
    expect(newBuild.reasons).toContain('this build of agent.exe (by SHA-1) made no connection in the baseline, though agent.exe did on 1 host');
    expect(knownBuild.reasons.join('\n')).not.toContain('this build');
  });

  it('a binary updated in place on this host (same path, new hash, e.g. Patch Tuesday) is still its known process', () => {
    expect(detectorFor().assess(fromFin042({ path: SYNC, sha1: SHA1.dropped }, { ip: '10.20.0.41', port: 443 }))).toEqual({ type: 'normal' });
  });

  it('without hashes in the baseline no hash can be "new"', () => {
    const noHashes = WEEK.map(({ sha1: _sha1, ...rest }) => rest);
    const found = finding(detectorFor(noHashes).assess(fromFin042({ path: AGENT, sha1: SHA1.agentNew }, NEW_IP)));
    expect(found.reasons.join('\n')).not.toContain('this build');
  });

  it('an image the telemetry says is unsigned is weighed; an unknown signer is not', () => {
    const detector = detectorFor();
    const path = 'C:\\ProgramData\\Cache\\svc.exe';
    const unsigned = finding(detector.assess(fromFin042({ path, cmd_line: 'svc.exe -x', signer: UNSIGNED_SIGNER }, NEW_IP)));
    const unknown = finding(detector.assess(fromFin042({ path, cmd_line: 'svc.exe -x' }, NEW_IP)));
    expect(unsigned.reasons).toContain('svc.exe is not code-signed');
    expect(unsigned.score).toBeGreaterThan(unknown.score);
    expect(unknown.reasons.join('\n')).not.toContain('code-signed');
  });

  it('a product that updated itself into a new versioned folder keeps its network history; its new build is only a new hash', () => {
    const version = (v: string) => `C:\\Users\\alice\\AppData\\Local\\slack\\app-${v}\\slack.exe`;
    const entries = [...WEEK, row('FIN-WS-042', { process_path: version('4.41.105'), sha1: 'e'.repeat(40), dst_ip: '198.18.0.20', dst_port: 443 })];
    const updated = detectorFor(entries).assess(fromFin042({ path: version('4.42.117'), sha1: 'f'.repeat(40) }, { ip: '198.18.0.21', port: 443 }));
    expect(updated.type === 'finding' ? updated.finding.reasons.join('\n') : '').not.toContain('has made no network connection');
    expect(updated.type === 'finding' ? updated.finding.severity : 'none').not.toMatch(/medium|high|critical/);
  });
});

