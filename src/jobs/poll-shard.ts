import { JOB, PollShardJobDataSchema, pollShardQueueName } from '../queue/jobs.js';
import { pollBackoff } from '../queue/poll-retries.js';
import type { WatchQueues } from '../queue/queues.js';
import type { SourcePoller } from '../watch/source-poller.js';
import { defineJob, type QueueWorkerSettings } from './job.js';

export interface PollShardJobDeps {
  poller: Pick<SourcePoller, 'pollShard'>;
  queues: Pick<WatchQueues, 'pollShardQueue'>;
}

/**
 * Shards of one source run side by side in each worker, each waiting its turn in the source's request budget. BullMQ
 * honours a rate limit set from a processor (a vendor's 429) only on a worker with a limiter; this one is never
 * reached by itself.
 */
const SHARD_WORKER: QueueWorkerSettings = (concurrency) => ({
  concurrency,
  limiter: { max: 1_000, duration: 1_000 },
  settings: { backoffStrategy: pollBackoff },
});

/** One shard of a source's poll: a query's worth of hosts read and fanned out to their watches. */
export const pollShardJobOf = (sourceId: string) =>
  defineJob({
    queue: pollShardQueueName(sourceId),
    name: JOB.pollShard,
    data: PollShardJobDataSchema,
    worker: SHARD_WORKER,
    process: (deps: PollShardJobDeps, { source_id, watch_ids }) => deps.poller.pollShard(source_id, watch_ids),
    failureScope: (deps) => ({ rateLimited: deps.queues.pollShardQueue(sourceId) }),
  });
