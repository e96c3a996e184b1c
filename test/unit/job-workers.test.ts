import { PassThrough } from 'node:stream';
import { Queue, type Job, type Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindJob } from '../../src/jobs/job.js';
import { watchJobs } from '../../src/jobs/index.js';
import { slackHomeRefreshJob } from '../../src/jobs/slack-home-refresh.js';
import { slackHomeJob } from '../../src/jobs/slack-home.js';
import { startWorkers } from '../../src/jobs/workers.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { JOB, QUEUE, pollQueueName, pollShardQueueName } from '../../src/queue/jobs.js';
import { createWorkerParts, jobDepsOf } from '../../src/runtime/build.js';
import { SLACK_JOB } from '../../src/slack/queue/slack-jobs.js';
import type { WorkerParts } from '../../src/runtime/worker-parts.js';
import { mdeSourceYaml, testConfig } from '../helpers/config.js';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const SOURCE = 'mde-prod';

describe('workers built from the job list', () => {
  const prefix = uniquePrefix('job-workers');
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  const queues: Queue[] = [];
  const published: string[] = [];
  let parts: WorkerParts;
  let workers: Worker[];

  beforeAll(async () => {
    const config = testConfig({ prefix, yaml: `sources:\n${mdeSourceYaml('http://127.0.0.1:9')}` });
    parts = createWorkerParts({ config, redis, logger: silentLogger(), metrics: createMetrics(), reporterOut: new PassThrough() });
    const home = {
      publish: async (userId: string) => void published.push(userId),
      refresh: async () => void published.push('everyone'),
    };
    const jobs = [...watchJobs(jobDepsOf(parts), [SOURCE]), bindJob(slackHomeJob, { home }), bindJob(slackHomeRefreshJob, { home })];
    workers = startWorkers(jobs, { connection: redis, prefix: parts.keys.bullPrefix, logger: silentLogger() });
    await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  });

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.close()));
    await Promise.all(queues.map((queue) => queue.close()));
    await parts.queues.close();
    await dropPrefix(prefix);
    redis.disconnect();
  });

  const queueOf = (name: string) => {
    const queue = new Queue(name, { connection: redis, prefix: parts.keys.bullPrefix });
    queues.push(queue);
    return queue;
  };

  const settled = (job: Job) =>
    waitFor(async () => {
      const state = await job.getState();
      return state === 'failed' || state === 'completed' ? state : undefined;
    }, { what: `job ${job.name} to settle` });

  it('run one worker per queue, the poll on each source its own', () => {
    expect(workers.map((worker) => worker.name).sort()).toEqual([QUEUE.notify, QUEUE.prevalence, QUEUE.slack, QUEUE.watch, pollQueueName(SOURCE), pollShardQueueName(SOURCE)].sort());
  });

  it.each([QUEUE.watch, QUEUE.prevalence, QUEUE.notify, QUEUE.slack, pollQueueName(SOURCE), pollShardQueueName(SOURCE)])('fail a job of an unknown name on %s at once, naming it and the queue', async (name) => {
    const queue = queueOf(name);
    const added = await queue.add('no-such-job', { watch_id: 'w-1', source_id: SOURCE }, { attempts: 3, backoff: { type: 'fixed', delay: 10 } });
    expect(await settled(added)).toBe('failed');
    const failed = (await queue.getJob(added.id!))!;
    expect(failed.failedReason).toBe(`unknown job "no-such-job" on ${name}`);
    expect(failed.attemptsMade, 'not retried').toBe(1);
  });

  it('still run the jobs they know, by name', async () => {
    const sync = await queueOf(QUEUE.notify).add(JOB.sync, { watch_id: 'no-such-watch' });
    const poll = await queueOf(pollQueueName(SOURCE)).add(JOB.poll, { source_id: SOURCE });
    expect(await settled(sync)).toBe('completed');
    expect(await settled(poll)).toBe('completed');
    expect((await queueOf(pollQueueName(SOURCE)).getJob(poll.id!))!.returnvalue, 'no watch on the source: nothing to read').toBe('idle');
    const slack = queueOf(QUEUE.slack);
    expect(await settled(await slack.add(SLACK_JOB.home, { user_id: 'U123' }))).toBe('completed');
    expect(await settled(await slack.add(SLACK_JOB.homeRefresh, {}))).toBe('completed');
    expect(published).toEqual(['U123', 'everyone']);
  });
});
