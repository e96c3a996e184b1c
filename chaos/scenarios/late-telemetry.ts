import { createScenario, FALLBACK_C2, type Scenario } from '../../src/simulator/scenario/index.js';
import { seconds, type ChaosScenario } from '../scenario.js';
import { Stack } from '../stack.js';
import { checkWatches } from '../verdicts.js';

const WINDOW_MS = 60_000;
const INGESTION_DELAY_MS = 2_000;
/** The fallback channel opens this long before the window ends. */
const FALLBACK_BEFORE_END_MS = 900;

/**
 * A block time (shortly in the past) whose window's last `FALLBACK_BEFORE_END_MS` holds exactly the implant's first
 * fallback connection: the flows tick on fixed slots, so the block time is what moves.
 */
function lastSecondFallback(): Scenario {
  const now = Date.now();
  for (let back = 0; back <= 8_000; back += 50) {
    const blockedAt = new Date(now - back);
    const scenario = createScenario('fallback', { blockedAt, fallbackAfterMs: WINDOW_MS - FALLBACK_BEFORE_END_MS, timeScale: 20 });
    const end = new Date(blockedAt.getTime() + WINDOW_MS);
    if (scenario.connections(blockedAt, end).some((connection) => connection.dst.ip === FALLBACK_C2.ip)) return scenario;
  }
  throw new Error('no block time puts a fallback connection in the last second of the window');
}

/**
 * The vendor's telemetry arrives 2 s late and the implant's only fallback connection of the window comes in its last
 * second. Expects the fix of issue 10 item 8: the close waits until the source has caught up past the window's end.
 */
export function lateTelemetry(log: (line: string) => void): ChaosScenario {
  return {
    name: 'fallback in the last second, telemetry late',
    expectation: `telemetry ${INGESTION_DELAY_MS / 1_000} s late, the fallback connection ${FALLBACK_BEFORE_END_MS} ms before the end of a ${WINDOW_MS / 1_000} s window: breached (not held), 0 findings lost or duplicated in Redis and Slack`,
    async run(figures, track) {
      const source = { id: 'mde-prod', scenario: lastSecondFallback(), ingestionDelayMs: INGESTION_DELAY_MS };
      const stack = track(await Stack.start({ name: 'late-telemetry', sources: [source], reporter: 'slack', layout: 'all-in-one' }));
      const incident = 'INC-L0';
      const id = await stack.open(stack.request(incident, source, { duration: seconds(WINDOW_MS), poll_interval: '1s' }), incident);
      await checkWatches(figures, stack, [{ id, incident, source }], 'breached', WINDOW_MS + 180_000, log);
    },
  };
}
