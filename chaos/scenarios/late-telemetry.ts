import { FALLBACK_C2 } from '../../src/dev/scenario/index.js';
import { fallbackScenarioAt, ScenarioClock, seconds, type ChaosScenario } from '../scenario.js';
import { Stack } from '../stack.js';
import { checkWatches } from '../verdicts.js';

const WINDOW_MS = 60_000;
const INGESTION_DELAY_MS = 2_000;
/** The fallback channel opens this long before the window ends. */
const FALLBACK_BEFORE_END_MS = 900;

const play = (blockedAt: Date) => fallbackScenarioAt(blockedAt, WINDOW_MS - FALLBACK_BEFORE_END_MS);

/**
 * A block time (shortly in the past) whose window's last `FALLBACK_BEFORE_END_MS` holds the implant's first fallback
 * connection: the flows tick on fixed slots (7 s for the fallback), so the block time is what moves.
 */
function lastSecondBlock(): Date {
  const now = Date.now();
  for (let back = 0; back <= 8_000; back += 50) {
    const blockedAt = new Date(now - back);
    const end = new Date(blockedAt.getTime() + WINDOW_MS);
    if (play(blockedAt).connections(blockedAt, end).some((connection) => connection.dst.ip === FALLBACK_C2.ip)) return blockedAt;
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
      const source = { id: 'mde-prod', scenario: new ScenarioClock(play), ingestionDelayMs: INGESTION_DELAY_MS };
      const stack = track(await Stack.start({ name: 'late-telemetry', sources: [source], reporter: 'slack', layout: 'all-in-one' }));
      const incident = 'INC-L0';
      stack.blockNow(lastSecondBlock());
      const id = await stack.open(stack.request(incident, source, { duration: seconds(WINDOW_MS), poll_interval: '1s' }), incident);
      await checkWatches(figures, stack, [{ id, incident, source }], 'breached', WINDOW_MS + 180_000, log);
    },
  };
}
