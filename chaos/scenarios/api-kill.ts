import { waitFor } from '../../test/helpers/wait.js';
import { fallbackScenario, seconds, type ChaosScenario } from '../scenario.js';
import { Stack } from '../stack.js';
import { checkOneWatchPerIncident, checkWatches, type OpenedWatch } from '../verdicts.js';

const INCIDENTS = 30;
const WINDOW_MS = 60_000;
/** The API is killed once this many webhooks have been answered and as many are inside it (passed on, not answered). */
const AT_KILL = 3;

/**
 * A SOAR fires a burst of webhooks (one incident each); the API process is killed -9 while most are in flight, started
 * again, and the SOAR retries every call that got no answer with the same action_id.
 */
export function apiKill(log: (line: string) => void): ChaosScenario {
  return {
    name: 'API kill -9 mid-webhook',
    expectation: `a burst of ${INCIDENTS} webhooks, the API killed with at least ${AT_KILL} answered and ${AT_KILL} inside it; retried, each incident has exactly one watch, every watch breached, 0 answers of 500, 0 findings lost or duplicated in Redis and Slack`,
    async run(figures, track) {
      const source = { id: 'mde-prod', scenario: fallbackScenario() };
      const stack = track(await Stack.start({ name: 'api-kill', sources: [source], reporter: 'slack', layout: 'split' }));
      stack.blockNow();
      const incidents = Array.from({ length: INCIDENTS }, (_, index) => `INC-A${String(index).padStart(2, '0')}`);
      const bodies = incidents.map((incident) => stack.request(incident, source, { duration: seconds(WINDOW_MS), poll_interval: '1s' }));

      const burst = Promise.all(bodies.map((body) => stack.send(body, 30_000)));
      const proxy = stack.webhookProxy;
      const atKill = await waitFor(
        async () => {
          const inside = proxy.inFlight.webhook;
          const answered = proxy.arrived.webhook - inside;
          return inside >= AT_KILL && answered >= AT_KILL && { inside, answered };
        },
        { timeoutMs: 60_000, everyMs: 1, what: `${AT_KILL} webhooks answered and ${AT_KILL} inside the API` },
      );
      await stack.api.kill9();
      const cutOff = (await burst).filter((outcome) => outcome.status === 'no_answer').length;
      log(`api-kill: killed with ${atKill.inside} webhooks inside the API and ${atKill.answered} answered; ${cutOff} of ${INCIDENTS} got no answer`);
      figures.atLeast('webhooks inside the API when it died', atKill.inside, AT_KILL);
      await stack.api.start();

      const watches: OpenedWatch[] = [];
      for (const [index, incident] of incidents.entries()) watches.push({ id: await stack.open(bodies[index], incident), incident, source });
      figures.exactly('answers of 500', stack.answers.filter((outcome) => outcome.status === 500).length, 0);
      await checkOneWatchPerIncident(figures, stack, incidents);
      await checkWatches(figures, stack, watches, 'breached', WINDOW_MS + 180_000, log);
    },
  };
}
