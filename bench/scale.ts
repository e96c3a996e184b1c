/**
 * The scale scenario of issue 13 (bench/scale-scenario.ts), in a node process of its own: with full collections
 * available, so heap figures are what stays reachable, and a heap large enough to finish the run when the worker
 * needs more than node's default (the heap figure then says so). Run by bench/run.ts, or alone:
 * `npx tsx bench/scale.ts`. CW_BENCH_SCALE (default 1) scales it down.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';

const HEAP_LIMIT_MB = 12_288;

export async function benchScale(): Promise<void> {
  process.stdout.write(`scale scenario: node's default heap limit here is ${(getHeapStatistics().heap_size_limit / 1e9).toFixed(1)} GB; the scenario runs with ${(HEAP_LIMIT_MB / 1024).toFixed(0)} GiB so it can finish\n`);
  const child = fork(fileURLToPath(new URL('./scale-scenario.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx', '--expose-gc', `--max-old-space-size=${HEAP_LIMIT_MB}`],
    stdio: 'inherit',
  });
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  if (code !== 0) throw new Error(`the scale scenario ended with ${signal ?? `exit code ${code}`}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await benchScale();
