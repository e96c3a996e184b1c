import type { ExpectationResult, ScenarioOutcome } from './evaluate.js';

const number = (value: number) => value.toLocaleString('en-US');
const percent = (part: number, whole: number) => (whole === 0 ? 'n/a' : `${((100 * part) / whole).toFixed(1)} %`);
const pad = (text: string, width: number) => (text.length >= width ? text : text + ' '.repeat(width - text.length));

function describeExpected({ expected }: ExpectationResult): string {
  const port = expected.dst.port === undefined ? '' : `:${expected.dst.port}`;
  return `${expected.host} ${expected.process ?? '(no process)'} -> ${expected.dst.ip}${port}/${expected.protocol} [${expected.kinds.join(', ')}]`;
}

function describeResult({ finding, missingKinds }: ExpectationResult): string {
  if (!finding) return 'MISSED: no finding';
  const found = `${finding.kind.join(', ')} (${finding.severity} ${finding.score}, ${finding.count}x)`;
  return missingKinds.length === 0 ? `found: ${found}` : `MISSED kind ${missingKinds.join(', ')}; found ${found}`;
}

/** Per scenario the expected and found findings, then the totals the issue asks for. */
export function evaluationTable(outcomes: readonly ScenarioOutcome[]): string {
  const lines: string[] = [];
  const nameWidth = Math.max(...outcomes.map((outcome) => outcome.scenario.name.length), 8) + 2;
  lines.push(`${pad('Scenario', nameWidth)}${pad('Verdict (expected)', 26)}Expected finding  =>  result`);
  lines.push('-'.repeat(nameWidth + 26 + 60));
  for (const outcome of outcomes) {
    const { scenario, result, attack, falseFindings } = outcome;
    const verdict = result.watch.verdict ?? 'none';
    const verdictCell = `${verdict} (${scenario.expected.verdict})${verdict === scenario.expected.verdict ? '' : ' !'}`;
    const rows = outcome.expectations.length
      ? outcome.expectations.map((expectation) => `${describeExpected(expectation)}  =>  ${describeResult(expectation)}`)
      : ['no finding expected'];
    rows.forEach((row, index) => lines.push(`${pad(index === 0 ? scenario.name : '', nameWidth)}${pad(index === 0 ? verdictCell : '', 26)}${row}`));
    const elapsed = outcome.elapsedMs / 1000;
    const formats = [...new Set(outcome.entries.map((entry) => entry.format))].join(' + ') || 'generated in memory';
    lines.push(
      `${pad('', nameWidth)}${pad('', 26)}attack connections ${attack.caught}/${attack.connections} in a finding (${attack.caughtMediumOrAbove} medium+); ` +
        `false findings ${falseFindings.mediumOrAbove.length} medium+ / ${falseFindings.low.length} low over ${outcome.hostDays.toFixed(2)} host-days; ` +
        `${number(result.stats.eventsRead)} events (${formats}) in ${elapsed.toFixed(2)} s`,
    );
    for (const finding of falseFindings.mediumOrAbove.slice(0, 5)) {
      lines.push(
        `${pad('', nameWidth)}${pad('', 26)}  false: ${finding.severity} ${finding.kind.join(', ')} ${finding.host} ${finding.process.name} -> ` +
          `${finding.dst.hostname ?? finding.dst.ip ?? '?'}:${finding.dst.port ?? '-'}/${finding.protocol} (${finding.count}x)`,
      );
    }
    if (falseFindings.mediumOrAbove.length > 5) lines.push(`${pad('', nameWidth + 26)}  ... and ${falseFindings.mediumOrAbove.length - 5} more`);
  }
  lines.push('', ...totals(outcomes));
  return lines.join('\n');
}

function totals(outcomes: readonly ScenarioOutcome[]): string[] {
  const sum = (pick: (outcome: ScenarioOutcome) => number, list = outcomes) => list.reduce((total, outcome) => total + pick(outcome), 0);
  const attacks = sum((outcome) => outcome.attack.connections);
  const caught = sum((outcome) => outcome.attack.caught);
  const caughtMedium = sum((outcome) => outcome.attack.caughtMediumOrAbove);
  const expectations = outcomes.flatMap((outcome) => outcome.expectations);
  const complete = expectations.filter((expectation) => expectation.finding && expectation.missingKinds.length === 0).length;
  const missedKinds = new Map<string, number>();
  for (const expectation of expectations) for (const kind of expectation.missingKinds) missedKinds.set(kind, (missedKinds.get(kind) ?? 0) + 1);
  const falseCount = sum((outcome) => outcome.falseFindings.mediumOrAbove.length);
  const falseLow = sum((outcome) => outcome.falseFindings.low.length);
  const hostDays = sum((outcome) => outcome.hostDays);
  const benign = outcomes.filter((outcome) => outcome.scenario.expected.findings.length === 0);
  const benignFalse = sum((outcome) => outcome.falseFindings.mediumOrAbove.length, benign);
  const benignDays = sum((outcome) => outcome.hostDays, benign);
  const events = sum((outcome) => outcome.result.stats.eventsRead);
  const seconds = sum((outcome) => outcome.elapsedMs) / 1000;
  const judged = sum((outcome) => outcome.result.stats.window.events - outcome.result.stats.window.otherHosts);
  const detectSeconds = sum((outcome) => outcome.result.stats.timings.assessMs) / 1000;
  const verdicts = outcomes.filter((outcome) => outcome.result.watch.verdict === outcome.scenario.expected.verdict).length;
  const rate = (count: number, days: number) => (days === 0 ? 'n/a' : (100 * count / days).toFixed(2));
  return [
    'Totals',
    `  recall of attack connections:  ${number(caught)} / ${number(attacks)} in a finding (${percent(caught, attacks)}); ` +
      `${number(caughtMedium)} medium or above (${percent(caughtMedium, attacks)})`,
    `  expected findings:             ${complete} / ${expectations.length} found with every expected kind` +
      (missedKinds.size ? `; kinds missed: ${[...missedKinds].map(([kind, count]) => `${kind} x${count}`).join(', ')}` : ''),
    `  verdicts as expected:          ${verdicts} / ${outcomes.length}`,
    `  false findings (medium+):      ${falseCount} over ${hostDays.toFixed(1)} host-days = ${rate(falseCount, hostDays)} per 100 host-days` +
      ` (benign estate alone: ${benignFalse} over ${benignDays.toFixed(1)} host-days = ${rate(benignFalse, benignDays)}); ` +
      `${falseLow} low ones besides`,
    `  events processed per second:   ${number(Math.round(events / seconds))} end to end ` +
      `(${number(events)} events read, generated or parsed, in ${seconds.toFixed(1)} s); ` +
      `${number(Math.round(judged / Math.max(detectSeconds, 1e-9)))} through the detector (${number(judged)} watched events in ${detectSeconds.toFixed(2)} s)`,
  ];
}
