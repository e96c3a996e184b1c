import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { pollShardQueueName } from '../../src/queue/jobs.js';
import { WatchQueues } from '../../src/queue/queues.js';
import { SlackQueue } from '../../src/slack/queue/slack-queue.js';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
const prefix = uniquePrefix('event-stream');
const bullPrefix = `${prefix}-q`;

afterAll(async () => {
  await dropPrefix(prefix);
  await redis.quit();
});

describe("BullMQ's job event streams", () => {
  it('keep the newest few hundred events of every queue, not 10,000', async () => {
    const queues = new WatchQueues(redis, bullPrefix);
    const slack = new SlackQueue(redis, bullPrefix);
    try {
      await Promise.all([queues.watch, queues.prevalence, queues.notify, queues.pollQueue('mde'), queues.pollShardQueue('mde'), slack.queue].map((queue) => queue.waitUntilReady()));
      for (let start = 0; start < 1_000; start += 250) {
        await queues.addPollShards('mde', Array.from({ length: 250 }, (_, index) => ({ watchIds: [`w-${start + index}`] })), undefined);
      }
      expect(await redis.xlen(`${bullPrefix}:${pollShardQueueName('mde')}:events`)).toBeLessThanOrEqual(200);
      for (const queue of [queues.watch, queues.prevalence, queues.notify, queues.pollQueue('mde'), slack.queue]) {
        expect(await redis.hget(`${bullPrefix}:${queue.name}:meta`, 'opts.maxLenEvents')).toBe('100');
      }
    } finally {
      await queues.close();
      await slack.close();
    }
  });
});
