import { waitFor } from '../../test/helpers/wait.js';
import { fallbackScenario, seconds, type ChaosScenario } from '../scenario.js';
import { Stack } from '../stack.js';
import { checkWatches } from '../verdicts.js';

const WINDOW_MS = 150_000;
/** Each baseline query is held this long at the vendor, so both kills land inside the baseline job. */
const BASELINE_HOLD_MS = 8_000;

/**
 * The worker is killed -9 twice while the same watch's baseline job waits on its baseline query (BullMQ fails a job
 * that stalls more than its limit). Expects the fix of issue 10 item 7: a reconciler that re-drives a watch whose
 * baseline job failed or vanished.
 */
export function baselineKills(log: (line: string) => void): ChaosScenario {
  return {
    name: 'two kills inside one baseline job',
    expectation: `the worker killed -9 twice while the watch's baseline query is in flight (held ${BASELINE_HOLD_MS / 1_000} s at the vendor): the watch still takes its baseline and ends breached, 0 findings lost or duplicated in Redis and Slack`,
    async run(figures, track) {
      const source = { id: 'mde-prod', scenario: fallbackScenario() };
      const stack = track(await Stack.start({ name: 'baseline-kills', sources: [source], reporter: 'slack', layout: 'split' }));
      const proxy = stack.proxies[0];
      const worker = stack.workers[0];
      if (!proxy || !worker) throw new Error('stack incomplete');
      proxy.holdMs.baseline = BASELINE_HOLD_MS;
      const incident = 'INC-B0';
      stack.blockNow();
      const id = await stack.open(stack.request(incident, source, { duration: seconds(WINDOW_MS), poll_interval: '1s' }), incident);

      let kills = 0;
      for (let kill = 0; kill < 2; kill += 1) {
        const before = proxy.arrived.baseline;
        // The first attempt, then BullMQ's retry of the stalled job: a new baseline query arrives each time.
        const arrived = await waitFor(async () => proxy.arrived.baseline > before && proxy.inFlight.baseline > 0, {
          timeoutMs: 120_000,
          everyMs: 20,
          what: `baseline attempt ${kill + 1} of ${incident}`,
        }).catch((error: Error) => {
          log(`baseline-kills: ${error.message}`);
          return false;
        });
        if (!arrived) break;
        await worker.kill9();
        kills += 1;
        log(`baseline-kills: kill ${kills} inside the baseline job`);
        await worker.start();
      }
      figures.exactly('kills inside the baseline job', kills, 2);
      await checkWatches(figures, stack, [{ id, incident, source }], 'breached', WINDOW_MS + 180_000, log);
    },
  };
}
