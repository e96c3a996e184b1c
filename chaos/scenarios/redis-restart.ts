import { waitFor } from '../../test/helpers/wait.js';
import { fallbackScenario, seconds, type ChaosScenario } from '../scenario.js';
import { Stack } from '../stack.js';
import { allWatching, checkOneWatchPerIncident, checkWatches, type OpenedWatch } from '../verdicts.js';

const WATCHES = 3;
const CALLS_WHILE_DOWN = 4;
const WINDOW_MS = 60_000;

/**
 * Redis (AOF on, every write fsynced) is killed -9 while three watches are being polled, webhooks arrive while it is
 * gone, and it is started again on its AOF. The all-in-one process must ride it out.
 */
export function redisRestart(log: (line: string) => void): ChaosScenario {
  return {
    name: 'Redis restarted mid-watch',
    expectation: `Redis killed -9 and restarted on its AOF mid-watch, ${CALLS_WHILE_DOWN} webhooks sent while it is down: each answered 503 (none 500, none unanswered), each retried incident and every open watch breached, one watch per incident, 0 findings lost or duplicated in Redis and Slack`,
    async run(figures, track) {
      const source = { id: 'mde-prod', scenario: fallbackScenario() };
      const stack = track(await Stack.start({ name: 'redis-restart', sources: [source], reporter: 'slack', layout: 'all-in-one' }));
      const request = (incident: string) => stack.request(incident, source, { duration: seconds(WINDOW_MS), poll_interval: '1s' });
      stack.blockNow();
      const watches: OpenedWatch[] = [];
      for (let index = 0; index < WATCHES; index += 1) {
        const incident = `INC-R${index}`;
        watches.push({ id: await stack.open(request(incident), incident), incident, source });
      }
      await allWatching(stack, watches);
      const proxy = stack.proxies[0];
      const pollsBefore = proxy?.arrived.poll ?? 0;
      await waitFor(async () => (proxy?.arrived.poll ?? 0) >= pollsBefore + 3, { timeoutMs: 60_000, what: 'three polls before the restart' });

      await stack.redis.kill();
      log('redis-restart: Redis killed');
      const late = Array.from({ length: CALLS_WHILE_DOWN }, (_, index) => `INC-RL${index}`);
      const whileDown = await Promise.all(late.map((incident) => stack.send(request(incident), 15_000)));
      await stack.redis.start();
      log('redis-restart: Redis back on its AOF');
      figures.exactly('webhooks while Redis was down answered 503', whileDown.filter((outcome) => outcome.status === 503).length, CALLS_WHILE_DOWN);

      for (const incident of late) watches.push({ id: await stack.open(request(incident), incident), incident, source });
      figures.exactly('answers of 500', stack.answers.filter((outcome) => outcome.status === 500).length, 0);
      figures.exactly('webhooks left without an answer', stack.answers.filter((outcome) => outcome.status === 'no_answer').length, 0);
      await checkOneWatchPerIncident(figures, stack, watches.map((watch) => watch.incident));
      await checkWatches(figures, stack, watches, 'breached', WINDOW_MS + 180_000, log);
    },
  };
}
