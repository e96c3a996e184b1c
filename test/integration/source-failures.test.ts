import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SourceHealth, WatchView } from '../../src/contracts/watch.js';
import { QUEUE, pollQueueName, pollShardQueueName } from '../../src/queue/jobs.js';
import { startFakeMde, type FakeMde } from '../../src/sources/mde/dev/fake-mde-server.js';
import { createScenario } from '../../src/dev/scenario/index.js';
import { Pipeline, SLACK_CHANNEL } from '../helpers/pipeline.js';
import { TEST_REDIS_URL } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const TEST_TIMEOUT_MS = 240_000;

let pipeline: Pipeline | undefined;
let second: FakeMde | undefined;
let redis: Redis;
const queues: Queue[] = [];

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
});

afterEach(async () => {
  for (const queue of queues.splice(0)) await queue.close();
  await pipeline?.close();
  await second?.close();
  pipeline = undefined;
  second = undefined;
});

afterAll(async () => {
  await redis.quit();
});

/** The source's own poll queue (its scheduled polls), as the workers see it. */
function pollQueue(running: Pipeline, sourceId: string): Queue {
  const queue = new Queue(pollQueueName(sourceId), { connection: redis, prefix: `${running.prefix}-q` });
  queues.push(queue);
  return queue;
}

/** The queue of the source's poll shards: the jobs that read the vendor. */
function shardQueue(running: Pipeline, sourceId: string): Queue {
  const queue = new Queue(pollShardQueueName(sourceId), { connection: redis, prefix: `${running.prefix}-q` });
  queues.push(queue);
  return queue;
}

/**
 * Waits until each source's estate-prevalence refresh, started with the worker, has run: its reads would otherwise
 * count as calls of the source while the test counts the polls' calls.
 */
async function prevalenceSettled(running: Pipeline, sources: number): Promise<void> {
  const queue = new Queue(QUEUE.prevalence, { connection: redis, prefix: `${running.prefix}-q` });
  queues.push(queue);
  await waitFor(
    async () => {
      const counts = await queue.getJobCounts('active', 'wait', 'prioritized', 'completed', 'failed');
      return counts.active === 0 && counts.wait === 0 && counts.prioritized === 0 && (counts.completed ?? 0) + (counts.failed ?? 0) >= sources;
    },
    { what: 'the estate-prevalence refreshes to finish' },
  );
}

/** Scheduled polls of the source that found it paused and asked the vendor nothing, finished after `sinceMs`. */
async function pausedTicks(queue: Queue, sinceMs: number): Promise<number> {
  const jobs = await queue.getCompleted(0, -1);
  return jobs.filter((job) => job.returnvalue === 'paused' && (job.finishedOn ?? 0) > sinceMs).length;
}

const healthOf = (view: WatchView, source: string): SourceHealth | undefined => view.coverage.find((health) => health.source === source);

/** How many calls (hunting queries, token requests) the fake Defender has received so far. */
const callCount = (fake: FakeMde) => ({ hunting: fake.requests.length, token: fake.tokenRequestTimes.length });

/** Arrival times of the calls the fake Defender received after `mark`. */
const callTimesSince = (fake: FakeMde, mark = { hunting: 0, token: 0 }): number[] => [
  ...fake.requests.slice(mark.hunting).map((request) => request.at),
  ...fake.tokenRequestTimes.slice(mark.token),
];

async function openWatch(running: Pipeline, sources?: string[]): Promise<string> {
  const opened = await running.send(
    running.request({ watch: { duration: '1h', poll_interval: '1s', baseline: '7d' }, ...(sources ? { sources } : {}) }),
  );
  expect(opened.status).toBe(202);
  const watchId = opened.data.watch_id as string;
  await waitFor(
    async () => {
      const view = await running.watch(watchId);
      return view.state === 'watching' && (sources ?? ['mde-prod']).every((source) => healthOf(view, source)?.last_success_at !== undefined);
    },
    { timeoutMs: 90_000, what: 'the watch to poll every source once' },
  );
  return watchId;
}

describe('a source whose credential is refused', () => {
  it(
    'pauses its polling (no call to the vendor until the re-probe), shows it on the status message and /readyz since it was first seen, keeps recording the gap, and resumes by itself once the credential works',
    async () => {
      const running = await Pipeline.start({ scenario: 'benign', sourceYaml: '    reprobe: 8s\n' });
      pipeline = running;
      const watchId = await openWatch(running);
      const queue = pollQueue(running, 'mde-prod');
      await prevalenceSettled(running, 1);

      running.mde.refuseCredentials();
      const paused = await waitFor(
        async () => {
          const ready = await running.raw('/readyz');
          const faults = ready.data.paused_sources as { source: string; code: string; since: string; next_probe_at: string }[];
          return faults.find((fault) => fault.source === 'mde-prod');
        },
        { timeoutMs: 60_000, what: 'the source to be paused' },
      );
      expect(paused.code).toBe('source.credentials_rejected');
      const ready = await running.raw('/readyz');
      // Decided: a paused source is named but does not take the API out of rotation.
      expect(ready.status).toBe(200);
      expect(ready.data.checks.sources).toBe('paused: mde-prod (source.credentials_rejected)');
      expect(JSON.stringify(ready.data)).not.toContain('AADSTS');

      // The re-probe is due at next_probe_at: until then every tick is skipped without a call.
      const pausedAt = Date.parse(paused.since);
      const probeAt = Date.parse(paused.next_probe_at);
      const atPause = callCount(running.mde);
      await waitFor(async () => callTimesSince(running.mde).some((at) => at >= probeAt), { timeoutMs: 90_000, what: 'the re-probe' });
      const ticksSkipped = await pausedTicks(queue, pausedAt);
      const callsWhilePaused = callTimesSince(running.mde, atPause).filter((at) => at < probeAt);
      // Ticks came every second while paused (the test could fail), and none of them reached the vendor.
      expect(ticksSkipped).toBeGreaterThanOrEqual(2);
      expect(callsWhilePaused).toEqual([]);

      const view = await waitFor(
        async () => {
          const current = await running.watch(watchId);
          const health = healthOf(current, 'mde-prod');
          return health?.paused !== undefined && Date.parse(health.paused.next_probe_at) > probeAt ? current : undefined;
        },
        { timeoutMs: 60_000, what: 'the failed re-probe to be recorded' },
      );
      const health = healthOf(view, 'mde-prod')!;
      expect(health.paused).toMatchObject({ code: 'source.credentials_rejected', since: paused.since });
      expect(health.gaps.length).toBeGreaterThan(0);
      expect(health.consecutive_failures).toBeGreaterThanOrEqual(2);

      const since = `${new Date(pausedAt).toISOString().slice(11, 16)} UTC`;
      await waitFor(
        async () => {
          const [status] = running.slack.messagesIn(SLACK_CHANNEL).filter((message) => !message.thread_ts);
          return status !== undefined && JSON.stringify(status.blocks).includes(`mde-prod\`: credentials rejected since ${since} · polling paused`);
        },
        { timeoutMs: 60_000, what: 'the status message to name the refused credential' },
      );

      running.mde.acceptCredentials();
      const resumedAfter = Date.now();
      const resumed = await waitFor(
        async () => {
          const current = await running.watch(watchId);
          const latest = healthOf(current, 'mde-prod');
          return latest?.paused === undefined && Date.parse(latest?.last_success_at ?? '') > resumedAfter ? latest : undefined;
        },
        { timeoutMs: 90_000, what: 'polling to resume' },
      );
      expect(resumed.consecutive_failures).toBe(0);
      expect((await running.raw('/readyz')).data).toMatchObject({ checks: { sources: 'ok' }, paused_sources: [] });
      await waitFor(
        async () => {
          const [status] = running.slack.messagesIn(SLACK_CHANNEL).filter((message) => !message.thread_ts);
          return status !== undefined && !JSON.stringify(status.blocks).includes('polling paused');
        },
        { timeoutMs: 60_000, what: 'the status message to drop the pause' },
      );
    },
    TEST_TIMEOUT_MS,
  );
});

describe('a source that is throttled', () => {
  it(
    "rate-limits that source's reads (its poll shard queue) for the vendor's Retry-After while another source keeps polling",
    async () => {
      const scenario = createScenario('benign', { blockedAt: new Date(), timeScale: 20 });
      second = await startFakeMde({ scenario, tenantId: 'test-tenant', clientId: 'test-client', clientSecret: 'test-secret' });
      const secondSource = [
        '  - id: mde-second',
        '    type: mde',
        `    base_url: ${second.url}`,
        `    token_url: ${second.url}`,
        '    tenant_id: test-tenant',
        '    client_id: test-client',
        '    client_secret: test-secret',
        '    lookback: 5s',
        '',
      ].join('\n');
      // No in-client retry: the 429 reaches the job layer at once.
      const running = await Pipeline.start({ scenario: 'benign', sourceYaml: `    max_retries: 0\n${secondSource}` });
      pipeline = running;
      const throttled = second;
      await openWatch(running, ['mde-prod', 'mde-second']);
      const queue = shardQueue(running, 'mde-prod');
      const otherQueue = shardQueue(running, 'mde-second');
      await prevalenceSettled(running, 2);

      running.mde.failNext({ status: 429, retryAfterSeconds: 20 });
      await waitFor(async () => running.mde.requests.some((request) => request.status === 429), { what: 'the 429' });
      // Read before the TTL, so `limitedUntil` is never later than the limit's real end.
      let readAt = 0;
      const limitedFor = await waitFor(async () => {
        readAt = Date.now();
        const ttl = await queue.getRateLimitTtl(Number.MAX_SAFE_INTEGER);
        return ttl > 0 ? ttl : undefined;
      }, { what: "mde-prod's queue to be rate-limited" });
      expect(limitedFor).toBeLessThanOrEqual(20_000);
      const limitedUntil = readAt + limitedFor;
      const throttledAt = running.mde.requests.findIndex((request) => request.status === 429) + 1;
      const otherBefore = throttled.requests.length;
      expect(await otherQueue.getRateLimitTtl(Number.MAX_SAFE_INTEGER)).toBe(0);

      await waitFor(async () => running.mde.requests.length > throttledAt, { timeoutMs: 90_000, what: 'mde-prod to poll again after the wait' });
      expect(await queue.getRateLimitTtl(Number.MAX_SAFE_INTEGER)).toBe(0);
      // While the limit held, mde-prod asked nothing and the other source kept polling.
      expect(running.mde.requests.slice(throttledAt).filter((request) => request.at < limitedUntil)).toEqual([]);
      expect(throttled.requests.slice(otherBefore).filter((request) => request.at < limitedUntil).length).toBeGreaterThanOrEqual(3);
    },
    TEST_TIMEOUT_MS,
  );
});

describe('a source that fails for a moment', () => {
  it(
    'retries the poll within the tick (BullMQ attempts with the poll backoff) and records the gap it leaves',
    async () => {
      const running = await Pipeline.start({ scenario: 'benign', sourceYaml: '    max_retries: 0\n' });
      pipeline = running;
      const watchId = await openWatch(running);
      const queue = shardQueue(running, 'mde-prod');
      await prevalenceSettled(running, 1);

      running.mde.failNext({ status: 503 });
      const retried = await waitFor(
        async () => {
          const jobs = await queue.getCompleted(0, -1);
          return jobs.find((job) => job.returnvalue === 'polled' && job.attemptsMade >= 2);
        },
        { timeoutMs: 60_000, what: 'a poll that failed once and then worked' },
      );
      expect(retried.failedReason).toContain('503');
      const health = healthOf(await running.watch(watchId), 'mde-prod')!;
      expect(health.gaps.some((gap) => gap.reason.includes('HTTP 503'))).toBe(true);
      expect(health.paused).toBeUndefined();
    },
    TEST_TIMEOUT_MS,
  );
});
