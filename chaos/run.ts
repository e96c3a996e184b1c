/**
 * npm run chaos: the real API and worker processes against vendor and Slack fakes, killed, starved of Redis and fed a
 * failing vendor, scenarios running side by side on their own redis-servers. Each scenario states what it expects
 * before it runs; a table of figures follows; exit 1 when any figure misses its target.
 *
 *   npm run chaos [-- --only <part of a scenario name>]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { figureTable, Figures, type Figure } from './figures.js';
import { checkErrorDumps, checkLogSecrets } from './log-checks.js';
import type { ChaosScenario } from './scenario.js';
import { apiKill } from './scenarios/api-kill.js';
import { baselineKills } from './scenarios/baseline-kills.js';
import { lateTelemetry } from './scenarios/late-telemetry.js';
import { redisOutage } from './scenarios/redis-outage.js';
import { redisRestart } from './scenarios/redis-restart.js';
import { vendorFailures } from './scenarios/vendor-failures.js';
import { workerKills } from './scenarios/worker-kills.js';
import type { Stack } from './stack.js';

/** CI's budget for the suite on a two-core machine. */
const WALL_TIME_LIMIT_S = 360;
const started = Date.now();
const say = (line: string) => process.stderr.write(`[${((Date.now() - started) / 1_000).toFixed(1).padStart(6)}s] ${line}\n`);

const args = process.argv.slice(2);
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;

const scenarios: ChaosScenario[] = [workerKills, apiKill, redisRestart, redisOutage, vendorFailures, baselineKills, lateTelemetry].map((make) => make((line) => say(line))).filter((scenario) => !only || scenario.name.includes(only));
if (scenarios.length === 0) {
  process.stderr.write(`no scenario matches --only ${only}\n`);
  process.exit(2);
}

const stacks: Stack[] = [];
const results = await Promise.all(
  scenarios.map(async (scenario) => {
    say(`${scenario.name}: expected: ${scenario.expectation}`);
    const figures = new Figures(scenario.name);
    const own: Stack[] = [];
    try {
      await scenario.run(figures, (stack) => {
        own.push(stack);
        stacks.push(stack);
        return stack;
      });
    } catch (error) {
      say(`${scenario.name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      figures.aborted(error);
    }
    const crashes = own.flatMap((stack) => stack.processes).reduce((sum, process) => sum + process.crashes, 0);
    figures.exactly('process exits nobody asked for', crashes, 0);
    say(`${scenario.name}: done`);
    return figures.all;
  }),
);

const overall = new Figures('all processes');
checkLogSecrets(overall, stacks, say);
checkErrorDumps(overall, stacks, say);
const logDir = mkdtempSync(join(tmpdir(), 'cw-chaos-logs-'));
for (const stack of stacks) {
  for (const process of stack.processes) writeFileSync(join(logDir, `${process.name.replaceAll('/', '_')}.log`), `${process.lines.join('\n')}\n`);
}
await Promise.all(stacks.map((stack) => stack.close().catch((error: Error) => say(`closing ${stack.options.name}: ${error.message}`))));

const wall = (Date.now() - started) / 1_000;
overall.atMost('wall time of the whole run', Math.round(wall), WALL_TIME_LIMIT_S, ' s');
const figures: Figure[] = [...results.flat(), ...overall.all];
process.stdout.write(`\n${figureTable(figures)}\n\nwall time ${wall.toFixed(0)} s; process logs in ${logDir}\n`);
const missed = figures.filter((figure) => !figure.pass).length;
if (missed > 0) process.stdout.write(`${missed} figure(s) missed their target\n`);
process.exit(missed > 0 ? 1 : 0);
