import type { Finding } from '../src/contracts/finding.js';
import { describeExpected, describeFinding, type ExpectationResult, type ScenarioOutcome } from './evaluate.js';
import { formatRate, summarize, TARGETS, type RateCheck } from './summary.js';

const number = (value: number) => value.toLocaleString('en-US');
const percent = (part: number, whole: number) => (whole === 0 ? 'n/a' : `${((100 * part) / whole).toFixed(1)} %`);
const INDENT = '    ';

function span(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 120 ? `${minutes} min` : `${(minutes / 60).toFixed(1)} h`;
}

function describeResult({ status, finding, missingKinds, expected }: ExpectationResult): string {
  if (!finding) return 'MISSED: no finding of this tuple';
  const found = describeFinding(finding);
  if (status === 'missing-kinds') return `MISSED kind ${missingKinds.join(', ')}: found ${found}`;
  if (status === 'below-severity') return `BELOW ${expected.minSeverity}: found ${found}`;
  return `met: ${found}`;
}

function falseFindingLines(label: string, findings: readonly Finding[], limit: number): string[] {
  const shown = findings.slice(0, limit).flatMap((finding) => [
    `${INDENT}  ${label}: ${describeFinding(finding)}`,
    `${INDENT}    why: ${finding.reasons.join('; ') || '(no reason given)'}`,
  ]);
  return findings.length > limit ? [...shown, `${INDENT}  ... and ${findings.length - limit} more ${label} findings`] : shown;
}

/** One scenario: its verdict, each expectation and what was found for it, and every false finding with its reasons. */
function scenarioLines(outcome: ScenarioOutcome, lowLimit: number): string[] {
  const { scenario, result, attack, verdict } = outcome;
  const lines = [
    `${scenario.name} [${scenario.data}]: verdict ${verdict.actual ?? 'none'} (expected ${verdict.expected})${verdict.ok ? '' : '  <-- WRONG VERDICT'}` +
      `${outcome.failures.length ? `  FAIL (${outcome.failures.length})` : '  ok'}`,
    `${INDENT}${scenario.summary}`,
  ];
  const hosts = outcome.telemetry.map((host) => `${host.host} ${span(host.to - host.from)}`).join(', ') || 'no watched host heard';
  lines.push(
    `${INDENT}block ${scenario.request.blocked.map((indicator) => indicator.value).join(', ')} at ${result.watch.blocked_at}, window ${span(result.watch.duration_ms)}; ` +
      `telemetry present: ${hosts} = ${outcome.hostDays.toFixed(4)} host-days (nominal ${outcome.nominalHostDays.toFixed(4)})`,
  );
  if (outcome.expectations.length === 0) lines.push(`${INDENT}expected: no finding`);
  for (const expectation of outcome.expectations) lines.push(`${INDENT}expected ${describeExpected(expectation.expected)}  =>  ${describeResult(expectation)}`);
  lines.push(...falseFindingLines('false medium+', outcome.falseFindings.mediumOrAbove, Infinity));
  lines.push(...falseFindingLines('false low', outcome.falseFindings.low, lowLimit));
  const elapsed = outcome.elapsedMs / 1000;
  const formats = [...new Set(outcome.entries.map((entry) => entry.format))].join(' + ') || 'generated in memory';
  lines.push(
    `${INDENT}attack connections ${attack.caught}/${attack.connections} in a finding (${attack.caughtMediumOrAbove} medium+); ` +
      `false findings ${outcome.falseFindings.mediumOrAbove.length} medium+ / ${outcome.falseFindings.low.length} low; ` +
      `${number(result.stats.eventsRead)} events (${formats}) in ${elapsed.toFixed(2)} s`,
  );
  return lines;
}

const check = (value: RateCheck) => `${formatRate(value.per100HostDays)} (target <= ${value.target}) ${value.ok ? 'ok' : 'MISSED'}`;

/**
 * Per scenario the expected and found findings and the false ones with their reasons, then the totals the issue
 * asks for, the targets beside the measured figures, and every reason the evaluation fails.
 */
export function evaluationTable(outcomes: readonly ScenarioOutcome[], options: { lowLimit?: number } = {}): string {
  const lowLimit = options.lowLimit ?? 10;
  const summary = summarize(outcomes);
  const lines = outcomes.flatMap((outcome) => [...scenarioLines(outcome, lowLimit), '']);
  const { fallback, all } = summary.recall;
  lines.push(
    'Totals',
    `  recall, fallback channels (expectations not only blocked_retry): ${fallback.met} / ${fallback.total} met at their declared severity (${percent(fallback.met, fallback.total)})`,
    `  recall, every expectation (with blocked_retry):                  ${all.met} / ${all.total} (${percent(all.met, all.total)})`,
    `  verdicts as expected:                                            ${summary.verdicts.ok} / ${summary.verdicts.total}`,
    `  attack connections in a finding:                                 ${number(summary.attack.caught)} / ${number(summary.attack.connections)} ` +
      `(${percent(summary.attack.caught, summary.attack.connections)}); medium or above ${number(summary.attack.caughtMediumOrAbove)}`,
  );
  for (const group of summary.groups) {
    const label = group.data === 'recording' ? 'real recordings  ' : 'generated traffic';
    lines.push(
      `  false findings, ${label}: ${group.hostDays.toFixed(3)} host-days of telemetry (${group.scenarios} scenarios; nominal ${group.nominalHostDays.toFixed(3)})`,
      `    medium or above: ${group.medium.count} = ${check(group.medium)} per 100 host-days`,
      `    low:             ${group.low.count} = ${check(group.low)} per 100 host-days`,
    );
  }
  const events = outcomes.reduce((sum, outcome) => sum + outcome.result.stats.eventsRead, 0);
  const seconds = outcomes.reduce((sum, outcome) => sum + outcome.elapsedMs, 0) / 1000;
  lines.push(
    `  events processed per second: ${number(Math.round(events / Math.max(seconds, 1e-9)))} end to end (${number(events)} events in ${seconds.toFixed(1)} s)`,
    '',
    `Host-days: for each watched host heard in the window, the span from its first to its last event inside the window ` +
      `(at least one minute), summed and divided by 24 h; the nominal figure (hosts x window) is shown for comparison only.`,
    `False finding: a finding that holds no attack connection. Medium or above fails its scenario; low ones count against ` +
      `the low target. Targets (issue 9): medium+ <= ${TARGETS.falseMediumPer100HostDays}, low <= ${TARGETS.falseLowPer100HostDays} ` +
      `per 100 host-days, on the real recordings and on the generated traffic alike.`,
    '',
    summary.passed ? 'RESULT: pass' : `RESULT: FAIL (${summary.failures.length})`,
    ...summary.failures.map((failure) => `  - ${failure}`),
  );
  return lines.join('\n');
}
