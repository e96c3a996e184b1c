import { afterEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/contracts/finding.js';
import { DEFAULT_CHANNEL, Pipeline, SLACK_CHANNEL } from '../helpers/pipeline.js';
import { channelStory, findingIdOf } from '../helpers/slack-posts.js';
import { waitFor } from '../helpers/wait.js';

describe('delivering to Slack safely', () => {
  let pipeline: Pipeline | undefined;
  afterEach(async () => {
    await pipeline?.close();
    pipeline = undefined;
  });

  it('three workers on one Redis post each finding exactly once, under one status message, with one verdict', async () => {
    pipeline = await Pipeline.start({ scenario: 'fallback', fallbackAfterMs: 1_000, slack: { postLatencyMs: 150 } });
    await pipeline.startWorker();
    await pipeline.startWorker();
    expect(pipeline.workers).toHaveLength(3);
    const opened = await pipeline.send(pipeline.request({ watch: { duration: '1h', poll_interval: '1s', baseline: '7d' } }));

    const view = await pipeline.closeAfter(opened.data.watch_id, 14_000);
    const { findings } = await pipeline.get<{ findings: Finding[] }>(`/v1/watches/${view.id}/findings`);
    expect(findings.length).toBeGreaterThanOrEqual(2);
    const story = channelStory(pipeline.slack, SLACK_CHANNEL);
    expect(story.statusMessages).toHaveLength(1);
    expect(story.verdicts).toHaveLength(1);
    const posted = story.findingReplies.map(findingIdOf);
    expect(posted.sort()).toEqual(findings.map((finding) => finding.id).sort());
    expect(story.findingReplies.every((reply) => reply.thread_ts === story.statusMessages[0]!.ts)).toBe(true);
  });

  it.each(['channel_not_found', 'not_in_channel'] as const)(
    '%s: the watch posts in the default channel instead and shows the problem on the watch and in Slack',
    async (problem) => {
      pipeline = await Pipeline.start({ scenario: 'fallback', fallbackAfterMs: 1_000 });
      if (problem === 'channel_not_found') pipeline.slack.unknownChannels.add(SLACK_CHANNEL);
      else pipeline.slack.foreignChannels.add(SLACK_CHANNEL);
      const opened = await pipeline.send(pipeline.request({ watch: { duration: '1h', poll_interval: '1s', baseline: '7d' } }));
      const watchId = opened.data.watch_id as string;

      const view = await waitFor(async () => {
        const current = await pipeline!.watch(watchId);
        return current.slack_delivery === undefined ? undefined : current;
      }, { what: 'the delivery problem on the watch' });
      expect(view.slack_delivery).toMatchObject({ problem, channel: SLACK_CHANNEL, fallback_channel: DEFAULT_CHANNEL });
      await waitFor(async () => channelStory(pipeline!.slack, DEFAULT_CHANNEL).findingReplies.length > 0, { what: 'a finding in the default channel' });
      await waitFor(
        async () => JSON.stringify(channelStory(pipeline!.slack, DEFAULT_CHANNEL).statusMessages[0]?.blocks ?? []).includes(`could not post in \`${SLACK_CHANNEL}\``),
        { what: 'the status message to show the problem' },
      );
      expect(pipeline.slack.messagesIn(SLACK_CHANNEL)).toHaveLength(0);
      expect(channelStory(pipeline.slack, DEFAULT_CHANNEL).statusMessages).toHaveLength(1);
    },
  );

  it('a Slack outage (5xx, then a 429) delays the messages; once Slack answers, every one is posted, none twice', async () => {
    pipeline = await Pipeline.start({ scenario: 'fallback', fallbackAfterMs: 1_000 });
    pipeline.slack.failNext('chat.postMessage', { status: 500 });
    pipeline.slack.failNext('chat.postMessage', { status: 500 });
    pipeline.slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    const opened = await pipeline.send(pipeline.request({ watch: { duration: '1h', poll_interval: '1s', baseline: '7d' } }));

    const view = await pipeline.closeAfter(opened.data.watch_id, 14_000);
    const posts = pipeline.slack.calls.filter((call) => call.method === 'chat.postMessage');
    const limited = posts[2]!;
    const next = posts[3]!;
    expect(next.at - limited.at).toBeGreaterThanOrEqual(950);
    const story = channelStory(pipeline.slack, SLACK_CHANNEL);
    expect(story.statusMessages).toHaveLength(1);
    expect(story.verdicts).toHaveLength(1);
    const posted = story.findingReplies.map(findingIdOf);
    expect(posted.length).toBe(new Set(posted).size);
    expect(posted.length).toBe(view.findings.total);
  });
});
