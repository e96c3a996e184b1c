/**
 * npm run eval: every scenario through the backtest, then the table of expected and found findings, recall, false
 * findings per 100 host-days and throughput. Generated telemetry files go to a temporary directory, removed after.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateScenario, type ScenarioOutcome } from './evaluate.js';
import { allScenarios } from './scenarios/index.js';
import { evaluationTable } from './table.js';

const workDir = await mkdtemp(join(tmpdir(), 'cw-eval-'));
try {
  const outcomes: ScenarioOutcome[] = [];
  for (const scenario of allScenarios()) {
    process.stderr.write(`running ${scenario.name}...\n`);
    outcomes.push(await evaluateScenario(scenario, workDir));
  }
  process.stdout.write(`${evaluationTable(outcomes)}\n`);
} finally {
  await rm(workDir, { recursive: true, force: true });
}
