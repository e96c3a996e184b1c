import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/contracts/finding.js';
import { checkExpectation, scoreScenario, telemetryHostDays, type ScenarioOutcome } from '../../eval/evaluate.js';
import type { ExpectedFinding, Scenario } from '../../eval/scenario.js';
import { summarize, TARGETS } from '../../eval/summary.js';
import { evaluationTable } from '../../eval/table.js';

/** The evaluation itself must be able to fail: each way a watch can fall short makes a failure line. */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function finding(overrides: Partial<Finding> & Pick<Finding, 'id'>): Finding {
  return {
    watch_id: 'w',
    host: 'WS1',
    process: { name: 'notepad.exe' },
    dst: { ip: '10.10.10.5', port: 80 },
    protocol: 'tcp',
    kind: ['quiet_process'],
    severity: 'high',
    score: 80,
    reasons: ['notepad.exe has made no network connection on WS1'],
    connected: true,
    first_seen: '2026-01-01T00:00:00.000Z',
    last_seen: '2026-01-01T00:00:00.000Z',
    count: 1,
    sources: ['sysmon'],
    status: 'open',
    ...overrides,
  };
}

const fallback: ExpectedFinding = {
  host: 'WS1',
  process: 'notepad.exe',
  dst: { ip: '10.10.10.5', port: 80 },
  protocol: 'tcp',
  minSeverity: 'high',
  kinds: [],
  fact: 'a new binary calls the C2',
};
const retry: ExpectedFinding = { ...fallback, process: 'powershell.exe', dst: { ip: '203.0.113.7', port: 443 }, kinds: ['blocked_retry'] };
const scenario = (findings: ExpectedFinding[], verdict: Scenario['expected']['verdict'] = 'breached') => ({
  expected: { findings, verdict, because: 'facts' },
});

describe('checkExpectation', () => {
  it('matches the tuple case-insensitively and needs the minimum severity and every declared kind', () => {
    expect(checkExpectation(fallback, [finding({ id: 'a', process: { name: 'NOTEPAD.EXE' } })]).status).toBe('met');
    expect(checkExpectation(fallback, [finding({ id: 'a', severity: 'medium' })]).status).toBe('below-severity');
    expect(checkExpectation(fallback, [finding({ id: 'a', dst: { ip: '10.10.10.5', port: 443 } })]).status).toBe('missed');
    expect(checkExpectation(fallback, [finding({ id: 'a', host: 'WS2' })]).status).toBe('missed');
    const retried = finding({ id: 'r', process: { name: 'powershell.exe' }, dst: { ip: '203.0.113.7', port: 443 }, kind: ['new_destination'] });
    expect(checkExpectation(retry, [retried])).toMatchObject({ status: 'missing-kinds', missingKinds: ['blocked_retry'] });
  });

  it('an expectation without a port takes a finding on any port of that address', () => {
    const anyPort = { ...fallback, dst: { ip: '10.10.10.5' } };
    expect(checkExpectation(anyPort, [finding({ id: 'a', dst: { ip: '10.10.10.5', port: 50115 } })]).status).toBe('met');
  });

  it('of several findings of the tuple, the one that meets the expectation counts', () => {
    const findings = [finding({ id: 'low', severity: 'low' }), finding({ id: 'high', severity: 'high' })];
    expect(checkExpectation(fallback, findings).finding?.id).toBe('high');
  });
});

describe('scoreScenario', () => {
  it('passes when every expectation is met, the verdict is right and no false finding reaches medium', () => {
    const score = scoreScenario(scenario([fallback]), [finding({ id: 'a' }), finding({ id: 'noise', host: 'WS2', severity: 'low' })], 'breached', new Set(['a']));
    expect(score.failures).toEqual([]);
    expect(score.falseFindings.low.map((item) => item.id)).toEqual(['noise']);
  });

  it('fails on a missed finding, one below its severity, a wrong verdict and a false finding of medium or above', () => {
    expect(scoreScenario(scenario([fallback]), [], 'held', new Set()).failures).toEqual([
      'missed: WS1 notepad.exe -> 10.10.10.5:80/tcp >= high: no finding of this tuple',
      'verdict held, expected breached',
    ]);
    expect(scoreScenario(scenario([fallback]), [finding({ id: 'a', severity: 'medium' })], 'breached', new Set(['a'])).failures).toEqual([
      expect.stringMatching(/^below high: WS1 notepad\.exe -> 10\.10\.10\.5:80\/tcp >= high: found medium 80/),
    ]);
    const noise = finding({ id: 'noise', host: 'WS2', process: { name: 'svchost.exe' }, dst: { ip: '192.175.48.1', port: 53 }, protocol: 'udp', severity: 'medium' });
    expect(scoreScenario(scenario([], 'held'), [noise], 'held', new Set()).failures).toEqual([
      expect.stringMatching(/^false finding: medium 80 \[quiet_process\] WS2 svchost\.exe -> 192\.175\.48\.1:53\/udp/),
    ]);
  });

  it('a finding that holds an attack connection is never a false one, whatever its tuple', () => {
    const side = finding({ id: 'side', process: { name: 'iexplore.exe' }, dst: { ip: '204.79.197.200', port: 443 } });
    expect(scoreScenario(scenario([], 'breached'), [side], 'breached', new Set(['side'])).falseFindings.mediumOrAbove).toEqual([]);
  });
});

describe('host-days and the targets', () => {
  it('host-days count the telemetry present: first to last event per host, at least a minute, not the window', () => {
    const telemetry = [
      { host: 'WS1', from: 0, to: 12 * HOUR, events: 100 },
      { host: 'WS2', from: 5 * HOUR, to: 5 * HOUR, events: 1 },
    ];
    expect(telemetryHostDays(telemetry)).toBeCloseTo((12 * HOUR + MINUTE) / (24 * HOUR), 10);
    expect(telemetryHostDays([])).toBe(0);
  });

  function outcome(data: Scenario['data'], hostDays: number, medium: number, low: number): ScenarioOutcome {
    const make = (count: number, severity: Finding['severity']) => Array.from({ length: count }, (_, index) => finding({ id: `${severity}${index}`, severity }));
    const falseFindings = { mediumOrAbove: make(medium, 'medium'), low: make(low, 'low') };
    return {
      scenario: {
        name: `${data}-${hostDays}`,
        summary: 's',
        data,
        request: { blocked: [{ type: 'ip', value: '203.0.113.7' }] },
        expected: { findings: [], verdict: 'held', because: 'b' },
      } as unknown as Scenario,
      expectations: [],
      verdict: { expected: 'held', actual: 'held', ok: true },
      falseFindings,
      failures: falseFindings.mediumOrAbove.map(() => 'false finding'),
      attack: { connections: 0, caught: 0, caughtMediumOrAbove: 0 },
      telemetry: [],
      hostDays,
      nominalHostDays: hostDays,
      elapsedMs: 1,
      entries: [],
      result: { watch: { blocked_at: '2026-01-01T00:00:00.000Z', duration_ms: HOUR }, stats: { eventsRead: 1 } } as unknown as ScenarioOutcome['result'],
    } as ScenarioOutcome;
  }

  it('rates are per 100 host-days beside the targets, per kind of telemetry; a miss of a target fails the evaluation', () => {
    expect(TARGETS).toEqual({ falseMediumPer100HostDays: 1, falseLowPer100HostDays: 10 });
    const passing = summarize([outcome('synthetic', 200, 0, 20)]);
    expect(passing.groups[0]).toMatchObject({ data: 'synthetic', low: { count: 20, per100HostDays: 10, ok: true } });
    expect(passing.passed).toBe(true);
    const failing = summarize([outcome('synthetic', 200, 0, 21), outcome('recording', 0.01, 0, 1)]);
    expect(failing.passed).toBe(false);
    expect(failing.failures).toEqual([
      'target missed on real recordings: 1 low false findings over 0.010 host-days = 10000.0 per 100 host-days (target <= 10)',
      'target missed on generated traffic: 21 low false findings over 200.000 host-days = 10.5 per 100 host-days (target <= 10)',
    ]);
  });

  it('false findings with no telemetry to count them against miss the target', () => {
    expect(summarize([outcome('recording', 0, 0, 1)]).groups[0]?.low).toMatchObject({ per100HostDays: Infinity, ok: false });
  });

  it('the table prints the targets beside the measured figures and ends with every failure', () => {
    const table = evaluationTable([outcome('recording', 0.5, 1, 0)]);
    expect(table).toContain('medium or above: 1 = 200.0 (target <= 1) MISSED per 100 host-days');
    expect(table).toContain('Host-days: for each watched host heard in the window, the span from its first to its last event');
    expect(table).toMatch(/RESULT: FAIL \(2\)\n {2}- recording-0.5: false finding\n {2}- target missed on real recordings/);
  });
});
