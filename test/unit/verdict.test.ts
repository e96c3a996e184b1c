import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/contracts/finding.js';
import type { SourceHealth, Watch } from '../../src/contracts/watch.js';
import { decideVerdict } from '../../src/rules/verdict.js';

const watch: Watch = {
  id: 'w-1',
  incident_id: 'INC-1',
  blocked: [{ type: 'ip', value: '203.0.113.7' }],
  blocked_at: '2026-11-29T10:00:00.000Z',
  hosts: [
    { hostname: 'FIN-WS-041', baseline: 'ready' },
    { hostname: 'FIN-WS-042', baseline: 'ready' },
  ],
  sources: ['mde-prod'],
  duration_ms: 3_600_000,
  poll_interval_ms: 60_000,
  baseline_ms: 604_800_000,
  state: 'watching',
  opened_by: 'soar',
  created_at: '2026-11-29T10:00:00.000Z',
  updated_at: '2026-11-29T10:00:00.000Z',
  expires_at: '2026-11-29T11:00:00.000Z',
  action_ids: [],
  audit: [],
};

const fullCoverage: SourceHealth[] = [
  {
    source: 'mde-prod',
    polled_until: watch.expires_at,
    polled_hosts: [],
    consecutive_failures: 0,
    events_seen: 100,
    hosts_seen: ['FIN-WS-041', 'fin-ws-042'],
    gaps: [],
  },
];

const finding = (overrides: Partial<Finding>): Finding => ({
  id: 'f',
  watch_id: 'w-1',
  host: 'FIN-WS-042',
  process: { name: 'rundll32.exe' },
  dst: { ip: '192.0.2.44', port: 8443 },
  protocol: 'tcp',
  kind: ['quiet_process', 'uncommon_port'],
  severity: 'high',
  score: 90,
  reasons: [],
  connected: true,
  first_seen: watch.blocked_at,
  last_seen: watch.blocked_at,
  count: 3,
  sources: ['mde-prod'],
  status: 'open',
  ...overrides,
});

describe('the verdict at close', () => {
  it('is held when every host was seen for the whole window and nothing was found', () => {
    expect(decideVerdict(watch, [], fullCoverage)).toEqual({
      verdict: 'held',
      reasons: ['no fallback channel from 2 host(s) over 1h of telemetry from mde-prod'],
    });
  });

  it('is breached by a medium-or-higher fallback finding, and names it', () => {
    const result = decideVerdict(watch, [finding({})], fullCoverage);
    expect(result.verdict).toBe('breached');
    expect(result.reasons[0]).toBe('rundll32.exe on FIN-WS-042 opened a fallback channel to 192.0.2.44:8443/tcp (high, 3x)');
  });

  it('is not breached by findings marked benign or below medium', () => {
    expect(decideVerdict(watch, [finding({ status: 'benign' }), finding({ severity: 'low' })], fullCoverage).verdict).toBe('held');
  });

  it('retries to the blocked address that were all blocked leave it held, with the implant named', () => {
    const retry = finding({
      kind: ['blocked_retry'],
      connected: false,
      dst: { ip: '203.0.113.7', port: 443 },
      count: 40,
      last_seen: '2026-11-27T10:59:31.000Z',
      retry_rate: { minutes: 20, peak: 3, peak_minute: '2026-11-27T10:12:00.000Z' },
    });
    const result = decideVerdict(watch, [retry], fullCoverage);
    expect(result.verdict).toBe('held');
    expect(result.reasons[1]).toBe(
      'the implant is still trying the blocked address from FIN-WS-042 (40 attempts, all blocked, up to 3 a minute, the last at ' +
        '2026-11-27 10:59:31 UTC): the block held, the host still needs remediation',
    );
  });

  it('retries that also beacon are still retries: held while none is shown to get through', () => {
    const beaconingRetry = finding({ kind: ['blocked_retry', 'beaconing'], connected: false, dst: { ip: '203.0.113.7', port: 443 } });
    expect(decideVerdict(watch, [beaconingRetry], fullCoverage).verdict).toBe('held');
  });

  it('a connection that reached the blocked address despite the block is a breach', () => {
    expect(decideVerdict(watch, [finding({ kind: ['blocked_retry'], connected: true })], fullCoverage).verdict).toBe('breached');
  });

  it('is inconclusive, never held, when a source could not be read to the end of the window', () => {
    const coverage = [{ ...fullCoverage[0]!, polled_until: '2026-11-29T10:20:00.000Z', last_error: 'mde-prod: HTTP 503' }];
    const result = decideVerdict(watch, [], coverage);
    expect(result.verdict).toBe('inconclusive');
    expect(result.reasons[0]).toBe('mde-prod could not be read for the last 40m of the window (last error: mde-prod: HTTP 503)');
  });

  it('is inconclusive, never held, naming a source the close gave up waiting for; a breach stands regardless', () => {
    const behind = {
      source: 'mde-prod',
      read_until: '2026-11-29T10:59:58.000Z',
      settle_ms: 300_000,
      caught_up: false,
      expected_at: '2026-11-29T11:05:00.000Z',
      gives_up_at: '2026-11-29T11:15:00.000Z',
    };
    const coverage = [{ ...fullCoverage[0]!, last_error: 'mde-prod: HTTP 503' }];
    expect(decideVerdict(watch, [], coverage, new Map(), undefined, [behind])).toEqual({
      verdict: 'inconclusive',
      reasons: ["mde-prod had not caught up past the window's end (its telemetry known complete only to 2026-11-29T10:59:58Z, settle 5m; last error: mde-prod: HTTP 503)"],
    });
    expect(decideVerdict(watch, [], fullCoverage, new Map(), undefined, [{ ...behind, read_until: undefined }]).reasons).toEqual([
      "mde-prod had not caught up past the window's end (nothing read from it, settle 5m)",
    ]);
    expect(decideVerdict(watch, [], fullCoverage, new Map(), undefined, [{ ...behind, observed_lag_ms: 1_234_567 }]).reasons).toEqual([
      "mde-prod had not caught up past the window's end (its telemetry known complete only to 2026-11-29T10:59:58Z, settle 5m, seen 20m 34s late)",
    ]);
    expect(decideVerdict(watch, [finding({})], fullCoverage, new Map(), undefined, [behind]).verdict).toBe('breached');
  });

  it('names a source once when it could not be read to the end and also had not caught up', () => {
    const coverage = [{ ...fullCoverage[0]!, polled_until: '2026-11-29T10:20:00.000Z' }];
    const behind = { source: 'mde-prod', settle_ms: 0, caught_up: false, expected_at: watch.expires_at, gives_up_at: watch.expires_at };
    expect(decideVerdict(watch, [], coverage, new Map(), undefined, [behind]).reasons).toEqual(['mde-prod could not be read for the last 40m of the window']);
  });

  it('is inconclusive, naming the host, when a host had no usable baseline: its new traffic cannot be told from its usual', () => {
    const result = decideVerdict(watch, [], fullCoverage, new Map(), new Set(['fin-ws-041']));
    expect(result.verdict).toBe('inconclusive');
    expect(result.reasons).toContain('no usable baseline for FIN-WS-042: new traffic there cannot be told from usual traffic');
    expect(decideVerdict(watch, [], fullCoverage, new Map(), new Set(['fin-ws-041', 'fin-ws-042'])).verdict).toBe('held');
    expect(decideVerdict(watch, [finding({})], fullCoverage, new Map(), new Set()).verdict).toBe('breached');
  });

  it('is inconclusive, never held, when a finding event could not be recorded (quarantined)', () => {
    const coverage = [{ ...fullCoverage[0]!, events_quarantined: 2, strings_repaired: 3 }];
    expect(decideVerdict(watch, [], coverage)).toMatchObject({
      verdict: 'inconclusive',
      reasons: ['2 finding event(s) from mde-prod could not be recorded (quarantined)'],
    });
    expect(decideVerdict(watch, [], [{ ...fullCoverage[0]!, strings_repaired: 3 }]).verdict).toBe('held');
  });

  it('is inconclusive when a host sent no telemetry at all', () => {
    const coverage = [{ ...fullCoverage[0]!, hosts_seen: ['FIN-WS-041'] }];
    expect(decideVerdict(watch, [], coverage)).toMatchObject({
      verdict: 'inconclusive',
      reasons: ['no telemetry at all during the window from FIN-WS-042'],
    });
  });

  it('is inconclusive when a host fell silent for a significant part of the window', () => {
    const coverage = [{ ...fullCoverage[0]!, hosts_last_seen: { 'FIN-WS-041': '2026-11-29T10:59:30.000Z', 'fin-ws-042': '2026-11-29T10:30:00.000Z' } }];
    expect(decideVerdict(watch, [], coverage)).toMatchObject({
      verdict: 'inconclusive',
      reasons: ['telemetry stopped long before the end of the window from FIN-WS-042'],
    });
  });

  it('a quiet stretch shorter than a quarter of the window (and ten minutes) is not blindness', () => {
    const coverage = [{ ...fullCoverage[0]!, hosts_last_seen: { 'FIN-WS-041': '2026-11-29T10:59:30.000Z', 'fin-ws-042': '2026-11-29T10:46:00.000Z' } }];
    expect(decideVerdict(watch, [], coverage).verdict).toBe('held');
  });

  it('is inconclusive when a host went dark in the middle of the window, naming the stretch', () => {
    const start = Date.parse(watch.blocked_at);
    const minute = 60_000;
    const silences = new Map([['fin-ws-042', { from: start + 20 * minute, to: start + 41 * minute }]]);
    expect(decideVerdict(watch, [], fullCoverage, silences)).toMatchObject({
      verdict: 'inconclusive',
      reasons: ['no telemetry from FIN-WS-042 for 21m (2026-11-29T10:20Z to 2026-11-29T10:41Z)'],
    });
    const brief = new Map([['fin-ws-042', { from: start + 20 * minute, to: start + 34 * minute }]]);
    expect(decideVerdict(watch, [], fullCoverage, brief).verdict).toBe('held');
  });

  it('a breach outweighs blind spots', () => {
    expect(decideVerdict(watch, [finding({})], []).verdict).toBe('breached');
  });
});
