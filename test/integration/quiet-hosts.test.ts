import { afterEach, describe, expect, it } from 'vitest';
import { Pipeline, SLACK_CHANNEL } from '../helpers/pipeline.js';
import { channelStory } from '../helpers/slack-posts.js';
import { waitFor } from '../helpers/wait.js';

const MINUTE = 60_000;

describe('a host that goes quiet during the window', () => {
  let pipeline: Pipeline | undefined;
  afterEach(async () => {
    await pipeline?.close();
    pipeline = undefined;
  });

  it('is shown gone quiet on the status message, with when it was last heard, while the others keep reporting', async () => {
    // The block was 40 minutes ago; FIN-WS-043's agent stopped five minutes after it, the other hosts kept talking.
    const blockedAt = Date.now() - 40 * MINUTE;
    pipeline = await Pipeline.start({
      scenario: 'benign',
      extendScenario: (base) => ({
        ...base,
        connections: (from, to) => base.connections(from, to).filter((c) => c.host.hostname !== 'FIN-WS-043' || c.time < blockedAt + 5 * MINUTE),
      }),
    });
    const opened = await pipeline.send(
      pipeline.request({ blocked_at: new Date(blockedAt).toISOString(), watch: { duration: '1h', poll_interval: '30s', baseline: '7d' } }),
    );
    const watchId = opened.data.watch_id as string;

    const view = await waitFor(async () => {
      const current = await pipeline!.watch(watchId);
      return current.quiet_hosts.length > 0 ? current : undefined;
    }, { what: 'a host to be shown gone quiet' });
    expect(view.quiet_hosts.map((quiet) => quiet.host)).toEqual(['FIN-WS-043']);
    const lastHeard = Date.parse(view.quiet_hosts[0]!.last_heard);
    expect(lastHeard).toBeGreaterThanOrEqual(blockedAt);
    expect(lastHeard).toBeLessThan(blockedAt + 5 * MINUTE);

    await waitFor(
      async () => {
        const statusTs = channelStory(pipeline!.slack, SLACK_CHANNEL).statusMessages[0]?.ts;
        const edits = pipeline!.slack.updates().filter((call) => call.body.ts === statusTs);
        return edits.some((call) => /gone quiet 1/.test(JSON.stringify(call.body.blocks)) && /FIN-WS-043.{0,20}silent since/.test(JSON.stringify(call.body.blocks)));
      },
      { what: 'the status message to show FIN-WS-043 gone quiet' },
    );
  });
});
