import type { Queue } from 'bullmq';
import { JOB, PollJobDataSchema, pollQueueName } from '../queue/jobs.js';
import { pollBackoff } from '../queue/poll-retries.js';
import type { SourcePoller } from '../watch/source-poller.js';
import { defineJob, type QueueWorkerSettings } from './job.js';

export interface PollJobDeps {
  poller: Pick<SourcePoller, 'tick'>;
  /** The source's own poll queue, held back when its vendor asks to slow down (so no other source waits). */
  pollQueue(sourceId: string): Queue;
}

/**
 * One poll at a time per source. BullMQ honours a rate limit set from a processor only on a worker with a limiter;
 * this one is never reached by itself.
 */
const POLL_WORKER: QueueWorkerSettings = () => ({
  concurrency: 1,
  limiter: { max: 1_000, duration: 1_000 },
  settings: { backoffStrategy: pollBackoff },
});

/** The coalesced poll of one source, on the source's own queue: a 429 from one vendor holds back that source alone. */
export const pollJobOf = (sourceId: string) =>
  defineJob({
    queue: pollQueueName(sourceId),
    name: JOB.poll,
    data: PollJobDataSchema,
    worker: POLL_WORKER,
    process: (deps: PollJobDeps, { source_id }) => deps.poller.tick(source_id),
    failureScope: (deps) => ({ rateLimited: deps.pollQueue(sourceId) }),
  });
