import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { severityRank } from '../src/contracts/common.js';
import type { ConnectionEvent } from '../src/contracts/connection-event.js';
import type { Finding, FindingKind } from '../src/contracts/finding.js';
import type { Verdict, WatchedHost } from '../src/contracts/watch.js';
import type { EntryStats } from '../src/backtest/input/read-entry.js';
import { readTelemetryBatches } from '../src/backtest/input/read-file.js';
import { SysmonProcesses } from '../src/backtest/readers/sysmon-processes.js';
import { runBacktest, type BacktestInput, type BacktestResult } from '../src/backtest/run-backtest.js';
import type { WatchDefaults } from '../src/backtest/watch-of.js';
import { createHostMatcher, hostLabel } from '../src/contracts/host-identity.js';
import { DetectionSettingsSchema } from '../src/detect/settings.js';
import type { Assessment } from '../src/detect/types.js';
import { writeTelemetry } from './formats/write.js';
import type { ExpectedFinding, Scenario } from './scenario.js';

const MINUTE = 60_000;
export const DAY = 86_400_000;
const MEDIUM = severityRank('medium');

/** The service's defaults when the YAML sets none. */
export const EVAL_DEFAULTS: WatchDefaults = { durationMs: DAY, pollIntervalMs: 60_000, baselineMs: 7 * DAY };

export type ExpectationStatus = 'met' | 'missed' | 'below-severity' | 'missing-kinds';

export interface ExpectationResult {
  expected: ExpectedFinding;
  status: ExpectationStatus;
  /** The finding of that tuple, if the watch made one (the one closest to the expectation). */
  finding: Finding | undefined;
  missingKinds: FindingKind[];
}

/** One watched host's telemetry inside the window: its first and last event, and how many. */
export interface HostTelemetry {
  host: string;
  from: number;
  to: number;
  events: number;
}

export interface ScenarioScore {
  expectations: ExpectationResult[];
  verdict: { expected: Verdict; actual: Verdict | undefined; ok: boolean };
  /** Findings with no attack connection in them: medium or above, and below medium (low and info). */
  falseFindings: { mediumOrAbove: Finding[]; low: Finding[] };
  /** Why the scenario fails, one line each; empty when it passes. */
  failures: string[];
}

export interface ScenarioOutcome extends ScenarioScore {
  scenario: Scenario;
  result: BacktestResult;
  /** Attack connections judged, and how many of them the detector put in a finding (any severity; medium or above). */
  attack: { connections: number; caught: number; caughtMediumOrAbove: number };
  /** Per watched host heard in the window: the span of its telemetry there. */
  telemetry: HostTelemetry[];
  /** The benign telemetry the false findings are counted against; see `telemetryHostDays`. */
  hostDays: number;
  /** Watched hosts times the window length, for comparison only. */
  nominalHostDays: number;
  /** Wall time of the backtest, reading (or generating) the telemetry included. */
  elapsedMs: number;
  /** What the readers made of each file; empty for telemetry generated in memory. */
  entries: EntryStats[];
}

const same = (a: string | undefined, b: string | undefined) => a === undefined || a.toLowerCase() === (b ?? '').toLowerCase();

function matches(expected: ExpectedFinding, finding: Finding): boolean {
  return (
    same(expected.host, finding.host) &&
    same(expected.process, finding.process.name) &&
    same(expected.dst.ip, finding.dst.ip) &&
    (expected.dst.port === undefined || expected.dst.port === finding.dst.port) &&
    same(expected.protocol, finding.protocol)
  );
}

/** Compares one expectation with the watch's findings: the closest finding of its tuple and what it lacks. */
export function checkExpectation(expected: ExpectedFinding, findings: readonly Finding[]): ExpectationResult {
  const missing = (finding: Finding) => expected.kinds.filter((kind) => !finding.kind.includes(kind));
  const below = (finding: Finding) => severityRank(finding.severity) < severityRank(expected.minSeverity);
  const distance = (finding: Finding) => missing(finding).length * 10 + (below(finding) ? 1 : 0);
  const best = findings
    .filter((finding) => matches(expected, finding))
    .sort((a, b) => distance(a) - distance(b) || severityRank(b.severity) - severityRank(a.severity))[0];
  if (!best) return { expected, status: 'missed', finding: undefined, missingKinds: [...expected.kinds] };
  const missingKinds = missing(best);
  const status: ExpectationStatus = missingKinds.length > 0 ? 'missing-kinds' : below(best) ? 'below-severity' : 'met';
  return { expected, status, finding: best, missingKinds };
}

export const describeExpected = (expected: ExpectedFinding): string => {
  const port = expected.dst.port === undefined ? '' : `:${expected.dst.port}`;
  const kinds = expected.kinds.length ? ` [${expected.kinds.join(', ')}]` : '';
  return `${expected.host} ${expected.process ?? '(no process)'} -> ${expected.dst.ip}${port}/${expected.protocol} >= ${expected.minSeverity}${kinds}`;
};

export const describeFinding = (finding: Finding): string =>
  `${finding.severity} ${finding.score} [${finding.kind.join(', ')}] ${finding.host} ${finding.process.name} -> ` +
  `${finding.dst.hostname ?? finding.dst.ip ?? '?'}:${finding.dst.port ?? '-'}/${finding.protocol} (${finding.count}x)`;

/**
 * Scores a finished watch against the scenario's own expectations. It fails on a missed expected finding, one below
 * its minimum severity or without a kind the attack implies, a verdict other than the expected one, and a false
 * finding (no attack connection in it) of medium or above. Low false findings are counted against their target.
 */
export function scoreScenario(
  scenario: Pick<Scenario, 'expected'>,
  findings: readonly Finding[],
  verdict: Verdict | undefined,
  attackFindingIds: ReadonlySet<string>,
): ScenarioScore {
  const expectations = scenario.expected.findings.map((expected) => checkExpectation(expected, findings));
  const benign = findings.filter((finding) => !attackFindingIds.has(finding.id));
  const falseFindings = {
    mediumOrAbove: benign.filter((finding) => severityRank(finding.severity) >= MEDIUM),
    low: benign.filter((finding) => severityRank(finding.severity) < MEDIUM),
  };
  const failures: string[] = [];
  for (const { expected, status, finding, missingKinds } of expectations) {
    if (status === 'missed') failures.push(`missed: ${describeExpected(expected)}: no finding of this tuple`);
    else if (status === 'missing-kinds') failures.push(`missed kind ${missingKinds.join(', ')}: ${describeExpected(expected)}: found ${describeFinding(finding!)}`);
    else if (status === 'below-severity') failures.push(`below ${expected.minSeverity}: ${describeExpected(expected)}: found ${describeFinding(finding!)}`);
  }
  const verdictOk = verdict === scenario.expected.verdict;
  if (!verdictOk) failures.push(`verdict ${verdict ?? 'none'}, expected ${scenario.expected.verdict}`);
  for (const finding of falseFindings.mediumOrAbove) failures.push(`false finding: ${describeFinding(finding)}`);
  return { expectations, verdict: { expected: scenario.expected.verdict, actual: verdict, ok: verdictOk }, falseFindings, failures };
}

/**
 * Host-days of telemetry actually present: for each watched host heard in the window, the span from its first to
 * its last event there (at least one minute, the resolution at which the watch marks a host as heard), summed over
 * the hosts, in days. A host the window never heard from adds nothing, however long the window.
 */
export function telemetryHostDays(telemetry: readonly HostTelemetry[]): number {
  return telemetry.reduce((sum, host) => sum + Math.max(host.to - host.from, MINUTE), 0) / DAY;
}

/** Tracks, per watched host, the first and last judged event of the window. */
function hostTelemetryTracker(hosts: readonly WatchedHost[]) {
  const match = createHostMatcher(hosts);
  const spans = new Map<string, HostTelemetry>();
  return {
    add(event: ConnectionEvent): void {
      const host = match(event);
      if (!host) return;
      const label = hostLabel(host);
      const span = spans.get(label);
      if (span) {
        span.from = Math.min(span.from, event.time);
        span.to = Math.max(span.to, event.time);
        span.events += 1;
      } else spans.set(label, { host: label, from: event.time, to: event.time, events: 1 });
    },
    list: (): HostTelemetry[] => [...spans.values()].sort((a, b) => a.host.localeCompare(b.host)),
  };
}

/** Materialises a scenario's telemetry as the backtest inputs, writing generated files under `workDir`. */
async function inputsOf(scenario: Scenario, workDir: string, entries: EntryStats[]): Promise<BacktestInput[]> {
  const processes = new SysmonProcesses();
  const inputs: BacktestInput[] = [];
  for (const [index, telemetry] of scenario.telemetry().entries()) {
    if ('path' in telemetry) {
      inputs.push({ name: telemetry.path, role: telemetry.role, read: (sightingsBefore) => readTelemetryBatches(telemetry.path, { processes, sightingsBefore }, entries) });
    } else if (telemetry.format === 'in-memory') {
      inputs.push({ name: telemetry.name, role: telemetry.role, events: telemetry.events() });
    } else {
      const path = join(workDir, `${scenario.name}-${index}-${telemetry.name}`);
      await writeTelemetry(path, telemetry.format, telemetry.events());
      inputs.push({ name: path, role: telemetry.role, read: (sightingsBefore) => readTelemetryBatches(path, { processes, sightingsBefore }, entries) });
    }
  }
  return inputs;
}

/** Runs one scenario through the backtest and scores it against its expectations. */
export async function evaluateScenario(scenario: Scenario, workDir: string): Promise<ScenarioOutcome> {
  const entries: EntryStats[] = [];
  const inputs = await inputsOf(scenario, workDir, entries);
  const attackFindings = new Set<string>();
  const attack = { connections: 0, caught: 0, caughtMediumOrAbove: 0 };
  const spans = hostTelemetryTracker(scenario.request.hosts.map((host): WatchedHost => ({ ...host, baseline: 'ready' })));
  const onAssessed = (event: ConnectionEvent, assessment: Assessment) => {
    spans.add(event);
    if (!scenario.isAttack(event)) return;
    attack.connections += 1;
    if (assessment.type !== 'finding') return;
    attackFindings.add(assessment.findingId);
    attack.caught += 1;
    if (severityRank(assessment.finding.severity) >= MEDIUM) attack.caughtMediumOrAbove += 1;
  };
  const started = performance.now();
  const result = await runBacktest({
    request: scenario.request,
    detection: DetectionSettingsSchema.parse(scenario.settings),
    defaults: EVAL_DEFAULTS,
    inputs,
    onAssessed,
  });
  const elapsedMs = performance.now() - started;
  const telemetry = spans.list();
  return {
    scenario,
    result,
    ...scoreScenario(scenario, result.findings, result.watch.verdict, attackFindings),
    attack,
    telemetry,
    hostDays: telemetryHostDays(telemetry),
    nominalHostDays: (result.watch.hosts.length * result.watch.duration_ms) / DAY,
    elapsedMs,
    entries,
  };
}
