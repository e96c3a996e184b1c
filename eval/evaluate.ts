import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { severityRank } from '../src/contracts/common.js';
import type { ConnectionEvent } from '../src/contracts/connection-event.js';
import type { Finding, FindingKind } from '../src/contracts/finding.js';
import type { EntryStats } from '../src/backtest/input/read-entry.js';
import { readTelemetryFile } from '../src/backtest/input/read-file.js';
import { SysmonProcesses } from '../src/backtest/readers/sysmon-processes.js';
import { runBacktest, type BacktestInput, type BacktestResult } from '../src/backtest/run-backtest.js';
import type { WatchDefaults } from '../src/backtest/watch-of.js';
import { DetectionSettingsSchema } from '../src/detect/settings.js';
import type { Assessment } from '../src/detect/types.js';
import { writeTelemetry } from './formats/write.js';
import type { ExpectedFinding, Scenario } from './scenario.js';

const DAY = 86_400_000;
const MEDIUM = severityRank('medium');

/** The service's defaults when the YAML sets none. */
export const EVAL_DEFAULTS: WatchDefaults = { durationMs: DAY, pollIntervalMs: 60_000, baselineMs: 7 * DAY };

export interface ExpectationResult {
  expected: ExpectedFinding;
  /** The finding of that tuple, if the watch made one. */
  finding: Finding | undefined;
  missingKinds: FindingKind[];
}

export interface ScenarioOutcome {
  scenario: Scenario;
  result: BacktestResult;
  expectations: ExpectationResult[];
  /** Attack connections judged, and how many of them the detector put in a finding (any severity; medium or above). */
  attack: { connections: number; caught: number; caughtMediumOrAbove: number };
  /** Findings with no attack connection in them. */
  falseFindings: { mediumOrAbove: Finding[]; low: Finding[] };
  /** Watched hosts times the window, in days: the benign traffic the false findings are counted against. */
  hostDays: number;
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

function checkExpectation(expected: ExpectedFinding, findings: readonly Finding[]): ExpectationResult {
  const candidates = findings.filter((finding) => matches(expected, finding));
  const missing = (finding: Finding) => expected.kinds.filter((kind) => !finding.kind.includes(kind));
  const best = candidates.sort((a, b) => missing(a).length - missing(b).length)[0];
  return { expected, finding: best, missingKinds: best ? missing(best) : [...expected.kinds] };
}

/** Materialises a scenario's telemetry as the backtest inputs, writing generated files under `workDir`. */
async function inputsOf(scenario: Scenario, workDir: string, entries: EntryStats[]): Promise<BacktestInput[]> {
  const processes = new SysmonProcesses();
  const inputs: BacktestInput[] = [];
  for (const [index, telemetry] of scenario.telemetry().entries()) {
    if ('path' in telemetry) {
      inputs.push({ name: telemetry.path, role: telemetry.role, events: readTelemetryFile(telemetry.path, { processes }, entries) });
    } else if (telemetry.format === 'in-memory') {
      inputs.push({ name: telemetry.name, role: telemetry.role, events: telemetry.events() });
    } else {
      const path = join(workDir, `${scenario.name}-${index}-${telemetry.name}`);
      await writeTelemetry(path, telemetry.format, telemetry.events());
      inputs.push({ name: path, role: telemetry.role, events: readTelemetryFile(path, { processes }, entries) });
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
  const onAssessed = (event: ConnectionEvent, assessment: Assessment) => {
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
  const benign = result.findings.filter((finding) => !attackFindings.has(finding.id));
  return {
    scenario,
    result,
    expectations: scenario.expected.findings.map((expected) => checkExpectation(expected, result.findings)),
    attack,
    falseFindings: {
      mediumOrAbove: benign.filter((finding) => severityRank(finding.severity) >= MEDIUM),
      low: benign.filter((finding) => severityRank(finding.severity) < MEDIUM),
    },
    hostDays: (result.watch.hosts.length * result.watch.duration_ms) / DAY,
    elapsedMs,
    entries,
  };
}
