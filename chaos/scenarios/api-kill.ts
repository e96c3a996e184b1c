import { waitFor } from '../../test/helpers/wait.js';
import { fallbackScenario, seconds, stretch, type ChaosScenario } from '../scenario.js';
import { Stack } from '../stack.js';
import { checkOneWatchPerIncident, checkWatches, type OpenedWatch } from '../verdicts.js';
import type { WebhookOutcome } from '../webhook.js';

const INCIDENTS = 30;
const CALL_EVERY_MS = 20;
const WINDOW_MS = 45_000;
/** The API is killed once this many webhooks of the burst have been answered: the rest are mid-request. */
const ANSWERED_BEFORE_KILL = 4;

/**
 * A SOAR fires a burst of webhooks (one incident each); the API process is killed -9 while most are in flight, started
 * again, and the SOAR retries every call that got no answer with the same action_id.
 */
export function apiKill(log: (line: string) => void): ChaosScenario {
  return {
    name: 'API kill -9 mid-webhook',
    expectation: `${INCIDENTS} webhooks ${CALL_EVERY_MS} ms apart, the API killed after ${ANSWERED_BEFORE_KILL} answers with others in flight; retried, each incident has exactly one watch, every watch breached, 0 answers of 500, 0 findings lost or duplicated in Redis and Slack`,
    async run(figures, track) {
      const source = { id: 'mde-prod', scenario: fallbackScenario() };
      const stack = track(await Stack.start({ name: 'api-kill', sources: [source], reporter: 'slack', layout: 'split' }));
      const incidents = Array.from({ length: INCIDENTS }, (_, index) => `INC-A${String(index).padStart(2, '0')}`);
      const bodies = incidents.map((incident) => stack.request(incident, source, { duration: seconds(WINDOW_MS), poll_interval: '1s' }));

      // The SOAR's calls follow each other closely rather than all at once, so the kill finds some mid-request.
      const outcomes: WebhookOutcome[] = [];
      const calls: Promise<{ sentBeforeKill: boolean; outcome: WebhookOutcome }>[] = [];
      let killing = false;
      const killed = waitFor(async () => outcomes.length >= ANSWERED_BEFORE_KILL, { timeoutMs: 60_000, everyMs: 5, what: 'the first answers of the burst' }).then(() => {
        killing = true;
        return stack.api.kill9();
      });
      for (const body of bodies) {
        const sentBeforeKill = !killing;
        calls.push(stack.send(body, 30_000).then((outcome) => (outcomes.push(outcome), { sentBeforeKill, outcome })));
        await stretch(CALL_EVERY_MS);
      }
      await killed;
      const cutOff = (await Promise.all(calls)).filter((call) => call.sentBeforeKill && call.outcome.status === 'no_answer').length;
      log(`api-kill: ${cutOff} of ${INCIDENTS} webhooks cut off by the kill`);
      figures.atLeast('webhooks in flight when the API died', cutOff, 1);
      await stack.api.start();

      const watches: OpenedWatch[] = [];
      for (const [index, incident] of incidents.entries()) watches.push({ id: await stack.open(bodies[index], incident), incident, source });
      figures.exactly('answers of 500', stack.answers.filter((outcome) => outcome.status === 500).length, 0);
      await checkOneWatchPerIncident(figures, stack, incidents);
      await checkWatches(figures, stack, watches, 'breached', WINDOW_MS + 180_000, log);
    },
  };
}
