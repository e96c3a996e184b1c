import { waitFor } from '../../test/helpers/wait.js';
import { fallbackScenario, seconds, stretch, type ChaosScenario } from '../scenario.js';
import { Stack } from '../stack.js';
import { allWatching, checkOneWatchPerIncident, checkWatches, type OpenedWatch } from '../verdicts.js';
import type { WebhookOutcome } from '../webhook.js';

const OUTAGE_MS = 30_000;
const CALL_EVERY_MS = 1_500;
/** The API's own deadline is 5 s; the rest is room for a loaded machine. */
const ANSWER_WITHIN_MS = 10_000;
const WINDOW_MS = 110_000;

/**
 * Redis stops answering for 30 s (SIGSTOP: connections stay open, nothing comes back, as a hung host) while two
 * watches run on separate API and worker processes and a SOAR keeps calling the webhook.
 */
export function redisOutage(log: (line: string) => void): ChaosScenario {
  return {
    name: 'Redis unreachable for 30 s',
    expectation: `Redis paused for ${OUTAGE_MS / 1_000} s mid-watch, a webhook every ${CALL_EVERY_MS / 1_000} s meanwhile: every call answered 503 within ${ANSWER_WITHIN_MS / 1_000} s (none 500, none unanswered); after it, the retried incidents and the running watches breached, one watch per incident, 0 findings lost or duplicated in Redis and the JSON-lines file`,
    async run(figures, track) {
      const source = { id: 'mde-prod', scenario: fallbackScenario() };
      const stack = track(await Stack.start({ name: 'redis-outage', sources: [source], reporter: 'jsonl', layout: 'split' }));
      const request = (incident: string) => stack.request(incident, source, { duration: seconds(WINDOW_MS), poll_interval: '1s' });
      stack.blockNow();
      const watches: OpenedWatch[] = [];
      for (const incident of ['INC-O0', 'INC-O1']) watches.push({ id: await stack.open(request(incident), incident), incident, source });
      await allWatching(stack, watches);
      const proxy = stack.proxies[0];
      const pollsBefore = proxy?.arrived.poll ?? 0;
      await waitFor(async () => (proxy?.arrived.poll ?? 0) >= pollsBefore + 3, { timeoutMs: 60_000, what: 'three polls before the outage' });

      stack.redis.pause();
      log('redis-outage: Redis paused');
      const pausedAt = Date.now();
      const calls: Promise<WebhookOutcome>[] = [];
      const late: string[] = [];
      while (Date.now() - pausedAt < OUTAGE_MS - ANSWER_WITHIN_MS) {
        const incident = `INC-OL${late.length}`;
        late.push(incident);
        calls.push(stack.send(request(incident), ANSWER_WITHIN_MS));
        await stretch(CALL_EVERY_MS);
      }
      const during = await Promise.all(calls);
      await stretch(OUTAGE_MS - (Date.now() - pausedAt));
      stack.redis.resume();
      log(`redis-outage: Redis resumed after ${Date.now() - pausedAt} ms`);

      for (const [index, outcome] of during.entries()) {
        if (outcome.status !== 503) log(`redis-outage: call ${index} during the outage: ${outcome.status} ${outcome.error ?? ''} after ${outcome.ms} ms`);
      }
      for (const error of stack.webhookProxy.upstreamErrors) log(`redis-outage: the API failed a call the proxy passed on: ${error}`);
      figures.atLeast('webhooks sent during the outage', during.length, 10);
      figures.exactly('webhooks during the outage answered 503', during.filter((outcome) => outcome.status === 503).length, during.length);
      figures.atMost('slowest answer during the outage', Math.max(...during.map((outcome) => outcome.ms)), ANSWER_WITHIN_MS, ' ms');
      for (const incident of late) watches.push({ id: await stack.open(request(incident), incident), incident, source });
      figures.exactly('answers of 500', stack.answers.filter((outcome) => outcome.status === 500).length, 0);
      figures.exactly('webhooks left without an answer', stack.answers.filter((outcome) => outcome.status === 'no_answer').length, 0);
      await checkOneWatchPerIncident(figures, stack, watches.map((watch) => watch.incident));
      await checkWatches(figures, stack, watches, 'breached', WINDOW_MS + 180_000, log);
    },
  };
}
