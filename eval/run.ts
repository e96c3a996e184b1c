/**
 * npm run eval: every scenario through the backtest, then per scenario the expected and found findings and the false
 * ones with their reasons, recall with and without the retries of the blocked C2, false findings per 100 host-days
 * of telemetry actually present beside the targets, and throughput. Exit 1 when any scenario or target fails; exit
 * 2 when the recordings are not in the data folder (`npm run eval:fetch`). Generated telemetry files go to a
 * temporary directory, removed after.
 *
 *   npm run eval [-- --only name,name] [-- --all-low]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordingsAbsentReason } from './data-folder.js';
import { evaluateScenario, type ScenarioOutcome } from './evaluate.js';
import { allScenarios } from './scenarios/index.js';
import { summarize } from './summary.js';
import { evaluationTable } from './table.js';

const args = process.argv.slice(2);
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? new Set((args[onlyAt + 1] ?? '').split(',').filter(Boolean)) : undefined;
const scenarios = allScenarios().filter((scenario) => !only || only.has(scenario.name));
if (only && scenarios.length !== only.size) {
  process.stderr.write(`unknown scenario in --only; the scenarios: ${allScenarios().map((scenario) => scenario.name).join(', ')}\n`);
  process.exit(2);
}

const absent = recordingsAbsentReason([...new Set(scenarios.flatMap((scenario) => scenario.recordings ?? []))]);
if (absent) {
  process.stderr.write(`cannot evaluate: ${absent}\n`);
  process.exit(2);
}

const workDir = await mkdtemp(join(tmpdir(), 'cw-eval-'));
try {
  const outcomes: ScenarioOutcome[] = [];
  for (const scenario of scenarios) {
    process.stderr.write(`running ${scenario.name}...\n`);
    outcomes.push(await evaluateScenario(scenario, workDir));
  }
  process.stdout.write(`${evaluationTable(outcomes, { lowLimit: args.includes('--all-low') ? Infinity : 10 })}\n`);
  if (!summarize(outcomes).passed) process.exitCode = 1;
} finally {
  await rm(workDir, { recursive: true, force: true });
}
