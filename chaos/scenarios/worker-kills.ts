import { waitFor } from '../../test/helpers/wait.js';
import type { ChaosScenario } from '../scenario.js';
import { fallbackScenario, seconds } from '../scenario.js';
import { Stack, type StackOptions, type StackSource } from '../stack.js';
import { allWatching, checkWatches, type OpenedWatch } from '../verdicts.js';

const SOURCES = 4;
const KILLS_PER_INSTALL = 5;
const WINDOW_MS = 120_000;
/** Each poll query is held this long at the vendor, so the kill lands while it is in flight. */
const POLL_HOLD_MS = 400;

/**
 * Two installs (one posting to Slack, one writing the JSON-lines file), each with four sources and one watch per
 * source; the kills start once every baseline is taken (kills inside a baseline job are their own scenario). Each
 * source's poll lease outlives a killed worker by up to 30 s, so a kill stalls only the sources whose
 * poll it interrupted while the others keep the next kill coming.
 */
export function workerKills(log: (line: string) => void): ChaosScenario {
  return {
    name: 'worker kill -9 mid-poll',
    expectation: `${KILLS_PER_INSTALL * 2} kill -9s of a worker while a poll query is in flight (${KILLS_PER_INSTALL} per install); every watch breached, 0 findings lost or duplicated in Redis, Slack and the JSON-lines file`,
    async run(figures, track) {
      const installs = await Promise.all(
        (['slack', 'jsonl'] as const).map(async (reporter) => {
          const sources: StackSource[] = Array.from({ length: SOURCES }, (_, index) => ({ id: `mde-${index}`, scenario: fallbackScenario() }));
          const options: StackOptions = { name: `worker-kills/${reporter}`, sources, reporter, layout: 'split' };
          const stack = track(await Stack.start(options));
          for (const proxy of stack.proxies) proxy.holdMs.poll = POLL_HOLD_MS;
          stack.blockNow();
          const watches: OpenedWatch[] = [];
          for (const [index, source] of sources.entries()) {
            const incident = `INC-W${reporter === 'slack' ? 'S' : 'J'}${index}`;
            const id = await stack.open(stack.request(incident, source, { duration: seconds(WINDOW_MS), poll_interval: '1s' }), incident);
            watches.push({ id, incident, source });
          }
          await allWatching(stack, watches);
          return { stack, watches };
        }),
      );
      const landed = await Promise.all(installs.map(({ stack }) => killMidPoll(stack, log)));
      figures.exactly('kills landing while a poll query was in flight', landed.reduce((sum, count) => sum + count, 0), KILLS_PER_INSTALL * 2);
      for (const { stack } of installs) figures.exactly(`${stack.options.name}: worker restarts`, (stack.workers[0]?.starts ?? 0) - 1, KILLS_PER_INSTALL);
      await Promise.all(installs.map(({ stack, watches }) => checkWatches(figures, stack, watches, 'breached', WINDOW_MS + 180_000, log)));
    },
  };
}

async function killMidPoll(stack: Stack, log: (line: string) => void): Promise<number> {
  const worker = stack.workers[0];
  if (!worker) throw new Error('no worker');
  let landed = 0;
  for (let kill = 0; kill < KILLS_PER_INSTALL; kill += 1) {
    await waitFor(async () => stack.proxies.some((proxy) => proxy.inFlight.poll > 0), { timeoutMs: 120_000, everyMs: 20, what: `${stack.options.name}: a poll in flight` });
    const inFlight = stack.proxies.filter((proxy) => proxy.inFlight.poll > 0).length;
    await worker.kill9();
    if (inFlight > 0) landed += 1;
    log(`${stack.options.name}: kill ${kill + 1} with ${inFlight} poll(s) in flight`);
    await worker.start();
  }
  return landed;
}
