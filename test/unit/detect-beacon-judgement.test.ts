import { describe, expect, it } from 'vitest';
import type { BaselineEntry, ConnectionEvent } from '../../src/contracts/connection-event.js';
import type { WatchedHost } from '../../src/contracts/watch.js';
import { buildBaseline, compileBaseline } from '../../src/detect/baseline.js';
import { InMemoryBeaconHistory } from '../../src/detect/beacon-history.js';
import { judgeBeacons } from '../../src/detect/beacon-tracker.js';
import { createDetector } from '../../src/detect/detector.js';
import { DetectionSettingsSchema } from '../../src/detect/settings.js';
import type { Assessment, Detector } from '../../src/detect/types.js';

const DAY = 86_400_000;
const SECOND = 1_000;
const BLOCKED_AT = Date.parse('2026-11-27T10:00:00Z');
const HOSTS: WatchedHost[] = [
  { hostname: 'FIN-WS-042', ip: '10.20.1.42', baseline: 'ready' },
  { hostname: 'FIN-WS-043', ip: '10.20.1.43', baseline: 'ready' },
];
const SVCHOST = 'C:\\Windows\\System32\\svchost.exe';
const RUNDLL32 = 'C:\\Windows\\System32\\rundll32.exe';
const UPDATER = 'C:\\Program Files\\Vendor\\updater.exe';
const CHROME = 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe';

const row = (host: string, fields: Partial<BaselineEntry>): BaselineEntry => ({
  host,
  protocol: 'tcp',
  count: 500,
  first_seen: BLOCKED_AT - 6 * DAY,
  last_seen: BLOCKED_AT - DAY,
  ...fields,
});

function detector(): Detector {
  const settings = DetectionSettingsSchema.parse({ networks: { internal: ['10.20.0.0/16'], resolvers: ['10.20.0.10'] } });
  const rows = ['FIN-WS-042', 'FIN-WS-043'].flatMap((host) => [
    row(host, { process_path: SVCHOST, dst_ip: '10.20.0.5', dst_port: 135 }),
    row(host, { process_path: SVCHOST, dst_ip: '10.20.0.10', dst_port: 53, protocol: 'udp' }),
    row(host, { process_path: UPDATER, dst_ip: '198.18.0.10', dst_hostname: 'updates.vendor.example', dst_port: 443 }),
    row(host, { process_path: CHROME, dst_ip: '142.250.74.100', dst_hostname: 'www.google.com', dst_port: 443 }),
  ]);
  const context = { watchId: 'w-beacon', incidentId: 'INC-7', blocked: [{ type: 'ip' as const, value: '203.0.113.7' }], hosts: HOSTS };
  const snapshot = buildBaseline(rows, HOSTS, settings, { blocked: context.blocked, window: { from: BLOCKED_AT - 7 * DAY, to: BLOCKED_AT } });
  return createDetector({ context, baseline: compileBaseline(snapshot), settings, now: () => BLOCKED_AT });
}

/** Gaps of about a minute, 58-62 s: median 60 s, median deviation 1 s. */
const MINUTE_GAPS = [60, 61, 59, 62, 58, 60, 61, 59, 60, 62, 58].map((seconds) => seconds * SECOND);

function series(
  name: string,
  gapsMs: readonly number[],
  fields: { path: string; cmd?: string; ip: string; hostname?: string; port: number; protocol?: string; outcome?: ConnectionEvent['outcome'] },
): ConnectionEvent[] {
  let time = BLOCKED_AT + 30 * SECOND;
  return [0, ...gapsMs].map((gap, index) => {
    time += gap;
    return {
      id: `${name}-${index}`,
      source: 'mde-prod',
      time,
      device: { hostname: 'FIN-WS-042' },
      process: { path: fields.path, cmd_line: fields.cmd ?? `"${fields.path}"` },
      dst_endpoint: { ip: fields.ip, hostname: fields.hostname, port: fields.port },
      protocol: fields.protocol ?? 'tcp',
      direction: 'outbound',
      outcome: fields.outcome ?? 'success',
    };
  });
}

/** Judges the events as the live watch does: one poll per minute, each poll's events observed, then beacon-judged. */
async function watch(events: readonly ConnectionEvent[], history = new InMemoryBeaconHistory(), judge = detector()): Promise<Assessment[]> {
  const out: Assessment[] = [];
  const sorted = [...events].sort((a, b) => a.time - b.time);
  for (let start = 0; start < sorted.length; ) {
    const pollEnd = BLOCKED_AT + (Math.floor(((sorted[start] as ConnectionEvent).time - BLOCKED_AT) / 60_000) + 1) * 60_000;
    let end = start;
    while (end < sorted.length && (sorted[end] as ConnectionEvent).time < pollEnd) end += 1;
    const poll = sorted.slice(start, end).map((event) => ({ event, observation: judge.observe(event) }));
    out.push(...(await judgeBeacons(judge, history, poll)));
    start = end;
  }
  return out;
}

const kindsOf = (assessment: Assessment | undefined) => (assessment?.type === 'finding' ? assessment.finding.kind : assessment?.type);

describe('beaconing on the live path', () => {
  it('rundll32 calling a new IP every minute after the block: its finding gains beaconing once the rhythm is clear', async () => {
    const events = series('rundll32', MINUTE_GAPS, { path: RUNDLL32, cmd: 'rundll32.exe', ip: '192.0.2.44', port: 8443 });
    const judged = await watch(events);
    expect(kindsOf(judged[0])).toEqual(['quiet_process', 'uncommon_port', 'new_destination']);
    expect(kindsOf(judged[2])).not.toContain('beaconing');
    const last = judged[judged.length - 1];
    if (last?.type !== 'finding') throw new Error('expected a finding');
    expect(last.finding.kind).toEqual(['quiet_process', 'uncommon_port', 'new_destination', 'beaconing']);
    expect(last.finding.severity).toBe('high');
    expect(last.finding.score).toBeGreaterThan(judged[0]?.type === 'finding' ? judged[0].finding.score : 100);
    expect(last.finding.reasons.at(-1)).toBe('connects to 192.0.2.44:8443 every 60 s ± 1 s (12 times)');
    const first = judged[0];
    expect(first?.type === 'finding' && last.findingId === first.findingId).toBe(true);
  });

  it('a known updater polling a new bare IP every minute is below min_score on its own, and only low once it beacons: updaters and push services are as regular as implants', async () => {
    const judge = detector();
    const events = series('updater', MINUTE_GAPS, { path: UPDATER, ip: '192.0.2.80', port: 443 });
    const observation = judge.observe(events[0] as ConnectionEvent);
    expect(observation.assessment).toEqual({ type: 'normal' });
    expect(observation.beaconTuple).toMatch(/^[0-9a-f]{16}$/);

    const judged = await watch(events, new InMemoryBeaconHistory(), judge);
    expect(judged.slice(0, 3).every((assessment) => assessment.type === 'normal')).toBe(true);
    const last = judged[judged.length - 1];
    if (last?.type !== 'finding') throw new Error('expected a finding');
    expect(last.findingId).toBe(observation.beaconTuple);
    expect(last.finding).toMatchObject({ kind: ['new_destination', 'beaconing'], severity: 'low', score: 48 });
    expect(last.finding.reasons).toEqual([
      '192.0.2.80 is a bare IP (no DNS name) never contacted in the baseline',
      'connects to 192.0.2.80:443 every 60 s ± 1 s (12 times)',
    ]);
  });

  it('a known process calling a new bare IP every 20 min (±2 min) for a day is medium: a rhythm held for hours, RITA\'s duration', async () => {
    const twentyMinutes = Array.from({ length: 70 }, (_, index) => (20 * 60 + [0, 90, -60, 120, -110, 40, -20][index % 7]!) * SECOND);
    const judged = await watch(series('slow', twentyMinutes, { path: UPDATER, ip: '192.0.2.82', port: 443 }));
    const last = judged[judged.length - 1];
    if (last?.type !== 'finding') throw new Error('expected a finding');
    expect(last.finding).toMatchObject({ kind: ['new_destination', 'beaconing'], severity: 'medium' });
    const firstHours = judged.slice(0, 12);
    expect(firstHours.every((assessment) => assessment.type !== 'finding' || assessment.finding.severity === 'low')).toBe(true);
  });

  it('seen by a network sensor (no process, no names), a day of regular HTTPS to a new address is no finding: CDN polling looks the same', async () => {
    const twentyMinutes = Array.from({ length: 70 }, (_, index) => (20 * 60 + [0, 90, -60, 120, -110, 40, -20][index % 7]!) * SECOND);
    const flows = series('flow', twentyMinutes, { path: UPDATER, ip: '192.0.2.83', port: 443 }).map(({ process: _process, ...flow }) => flow);
    const judged = await watch(flows);
    expect(judged).toHaveLength(flows.length);
    expect(judged.every((assessment) => assessment.type === 'normal')).toBe(true);
  });

  it('the same updater beaconing to a new named host is no finding: a name is weaker evidence than a bare IP', async () => {
    const judged = await watch(series('named', MINUTE_GAPS, { path: UPDATER, ip: '192.0.2.81', hostname: 'cdn.vendor-mirror.example', port: 443 }));
    expect(judged).toHaveLength(MINUTE_GAPS.length + 1);
    expect(judged.every((assessment) => assessment.type === 'normal')).toBe(true);
  });

  it('regular traffic that repeats the baseline, or joins only known parts, never becomes a finding on regularity alone', async () => {
    const judge = detector();
    const heartbeat = series('rpc', MINUTE_GAPS, { path: SVCHOST, ip: '10.20.0.5', port: 135 });
    const knownParts = series('known', MINUTE_GAPS, { path: SVCHOST, ip: '10.20.0.10', port: 135 });
    expect(judge.observe(heartbeat[0] as ConnectionEvent).beaconTuple).toBeUndefined();
    expect(judge.observe(knownParts[0] as ConnectionEvent).beaconTuple).toBeUndefined();
    const judged = await watch([...heartbeat, ...knownParts], new InMemoryBeaconHistory(), judge);
    expect(judged.every((assessment) => assessment.type === 'normal')).toBe(true);
  });

  it('an allow-listed tuple stays suppressed however regular it is', async () => {
    const judged = await watch(series('chrome', MINUTE_GAPS, { path: CHROME, ip: '192.0.2.90', port: 443 }));
    expect(judged.every((assessment) => assessment.type === 'suppressed' && assessment.ruleId === 'builtin:browser-chrome')).toBe(true);
  });

  it('retries of the blocked IP every 5 s: the blocked_retry finding tells how often the implant tries, severity unchanged', async () => {
    const gaps = [5, 5.4, 4.7, 5.1, 4.9, 5.2, 5, 4.8].map((seconds) => seconds * SECOND);
    const judged = await watch(series('retry', gaps, { path: RUNDLL32, ip: '203.0.113.7', port: 443, outcome: 'blocked' }));
    const last = judged[judged.length - 1];
    if (last?.type !== 'finding') throw new Error('expected a finding');
    expect(last.finding.kind).toEqual(['blocked_retry', 'beaconing']);
    expect(last.finding.severity).toBe('high');
    expect(last.finding.reasons.at(-1)).toBe('retries 203.0.113.7:443 every 5 s ± 150 ms (9 times)');
  });

  it('a replayed poll (look-back overlap, a retried job) changes no score and counts nothing twice', async () => {
    const judge = detector();
    const history = new InMemoryBeaconHistory();
    const events = series('replay', MINUTE_GAPS, { path: UPDATER, ip: '192.0.2.80', port: 443 });
    const first = await watch(events, history, judge);
    const lastPoll = events.slice(-1).map((event) => ({ event, observation: judge.observe(event) }));
    expect(await judgeBeacons(judge, history, lastPoll)).toEqual(first.slice(-1));
    const everything = events.map((event) => ({ event, observation: judge.observe(event) }));
    const replayed = await judgeBeacons(judge, history, everything);
    expect(replayed.at(-1)).toEqual(first.at(-1));
    const tuple = judge.observe(events[0] as ConnectionEvent).beaconTuple ?? '';
    const track = (await history.record(new Map([[tuple, []]]))).get(tuple);
    expect(track?.total).toBe(events.length);
    expect(track?.samples).toHaveLength(events.length);
  });
});
