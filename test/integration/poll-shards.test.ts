import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { SourceHealth, WatchView } from '../../src/contracts/watch.js';
import { pollQueueName, pollShardQueueName } from '../../src/queue/jobs.js';
import { Pipeline } from '../helpers/pipeline.js';
import { TEST_REDIS_URL } from '../helpers/redis.js';
import { channelStory, findingIdOf } from '../helpers/slack-posts.js';
import { waitFor } from '../helpers/wait.js';

const SOURCE = 'mde-prod';
const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
const queues: Queue[] = [];
let pipeline: Pipeline | undefined;

afterEach(async () => {
  for (const queue of queues.splice(0)) await queue.close();
  await pipeline?.close();
  pipeline = undefined;
});

afterAll(async () => {
  await redis.quit();
});

function queueOf(running: Pipeline, name: string): Queue {
  const queue = new Queue(name, { connection: redis, prefix: `${running.prefix}-q` });
  queues.push(queue);
  return queue;
}

/** One watch per scenario host, each reported in a channel of its own; returns the watch ids in host order. */
async function openWatchPerHost(running: Pipeline): Promise<{ id: string; channel: string; host: string }[]> {
  const opened = [];
  for (const [index, host] of running.scenario.hosts.entries()) {
    const channel = `C07SHARD00${index + 1}`;
    const response = await running.send(
      running.request({
        incident_id: `INC-SHARD-${index + 1}`,
        slack_channel: channel,
        hosts: [{ hostname: host.hostname, ip: host.ip }],
        action_id: `shard-${index + 1}-${running.prefix}`,
      }),
    );
    expect(response.status).toBe(202);
    opened.push({ id: response.data.watch_id as string, channel, host: host.hostname });
  }
  return opened;
}

const healthOf = (view: WatchView): SourceHealth | undefined => view.coverage.find((health) => health.source === SOURCE);

describe('polls shared between workers', () => {
  it('three workers take the shards of one source\'s polls between them, and every finding is recorded and posted once', async () => {
    // One host per query: each watch (one host each) is a shard of its own, three a tick.
    const running = await Pipeline.start({ scenario: 'fallback', fallbackAfterMs: 1_000, sourceYaml: '    max_hosts_per_query: 1\n' });
    pipeline = running;
    await running.startWorker();
    await running.startWorker();
    const workerIds = new Set(running.workers.map((worker) => worker.id));
    expect(workerIds.size).toBe(3);
    const watches = await openWatchPerHost(running);
    const shards = queueOf(running, pollShardQueueName(SOURCE));

    const readers = await waitFor(
      async () => {
        const done = await shards.getCompleted(0, -1);
        const by = new Set(done.filter((job) => job.returnvalue === 'polled').map((job) => job.processedBy));
        return by.size >= 2 ? by : undefined;
      },
      { timeoutMs: 60_000, what: 'shards polled by more than one worker' },
    );
    expect([...readers].every((reader) => reader !== undefined && workerIds.has(reader))).toBe(true);

    const fallback = watches.find((watch) => watch.host === 'FIN-WS-042')!;
    const views = await Promise.all(watches.map((watch) => running.closeAfter(watch.id, 12_000)));
    expect(views.map((view) => view.verdict)).toEqual(watches.map((watch) => (watch === fallback ? 'breached' : 'held')));
    await waitFor(async () => watches.every((watch) => channelStory(running.slack, watch.channel).verdicts.length > 0), { what: 'every verdict posted' });
    for (const [index, watch] of watches.entries()) {
      const story = channelStory(running.slack, watch.channel);
      const posted = story.findingReplies.map(findingIdOf);
      expect(posted.length, `${watch.host}: each finding posted once`).toBe(new Set(posted).size);
      expect(posted.length, `${watch.host}: every finding posted`).toBe(views[index]!.findings.total);
      expect(story.statusMessages).toHaveLength(1);
      expect(story.verdicts).toHaveLength(1);
    }
    expect(views[watches.indexOf(fallback)]!.findings.total).toBeGreaterThan(0);
  });

  it('a source whose polls need more queries than its budget allows is polled less often, and every watch shows it', async () => {
    // Three shards of one query a poll within 10 requests a minute, 80 % of them for polls: one poll every 23 s.
    const running = await Pipeline.start({ scenario: 'benign', sourceYaml: '    max_hosts_per_query: 1\n    rate_limit_per_minute: 10\n' });
    pipeline = running;
    const watches = await openWatchPerHost(running);

    const slowed = await waitFor(
      async () => {
        const views = await Promise.all(watches.map((watch) => running.watch(watch.id)));
        const paces = views.map((view) => healthOf(view)?.slowed);
        // The first polls may come while some baselines are still being taken: fewer shards, a shorter pace.
        return paces.every((pace) => pace?.queries_per_poll === 3) ? paces : undefined;
      },
      { timeoutMs: 120_000, what: 'every watch to show its source slowed by all three shards' },
    );
    for (const pace of slowed) expect(pace).toMatchObject({ asked_ms: 1_000, every_ms: 23_000, budget_per_minute: 10 });
    // Whichever worker planned the last poll says how often polls start, for an operator's alert.
    const intervals = await Promise.all(running.workers.map((worker) => worker.parts.metrics.registry.getSingleMetricAsString('cw_source_poll_interval_seconds')));
    expect(intervals.join('\n')).toContain(`cw_source_poll_interval_seconds{source="${SOURCE}"} 23`);
    await waitFor(
      async () => watches.every((watch) => JSON.stringify(channelStory(running.slack, watch.channel).statusMessages.at(-1) ?? '').length > 0) &&
        running.slack.updates().some((call) => JSON.stringify(call.body).includes('🐢')),
      { timeoutMs: 30_000, what: 'a status message that shows the slower polling' },
    );

    // Ticks still come every second; in the 23 s after a poll started, every later tick starts none.
    const polls = queueOf(running, pollQueueName(SOURCE));
    const started = await waitFor(
      async () => {
        const done = await polls.getCompleted(0, -1);
        const dispatched = done.filter((job) => job.returnvalue === 'dispatched').sort((a, b) => a.finishedOn! - b.finishedOn!);
        const first = dispatched.at(-1);
        if (first === undefined) return undefined;
        const after = done.filter((job) => job.finishedOn! > first.finishedOn! && job.finishedOn! < first.finishedOn! + 22_000);
        return after.length >= 5 ? { first, after } : undefined;
      },
      { timeoutMs: 60_000, what: 'five ticks after a poll started' },
    );
    expect(started.after.map((job) => job.returnvalue)).toEqual(started.after.map(() => expect.stringMatching(/^(slowed|busy)$/)));
  });
});
