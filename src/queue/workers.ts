import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { refreshPrevalence } from '../baseline/prevalence-reader.js';
import { takeBaseline } from '../watch/baseline-taker.js';
import { publishVerdict, syncWatch } from '../watch/publisher.js';
import type { WatchRuntime } from '../watch/runtime.js';
import { SourcePoller } from '../watch/source-poller.js';
import { closeWatch } from '../watch/watch-closer.js';
import { reconcileWatches } from '../watch/reconciler.js';
import { deliveryBackoff } from './delivery-backoff.js';
import { guard } from './job-failure.js';
import { JOB, PollJobDataSchema, PrevalenceJobDataSchema, QUEUE, WatchJobDataSchema, pollQueueName } from './jobs.js';
import { pollBackoff } from './poll-retries.js';

export interface WorkerOptions {
  /** Parallel jobs per queue in this process. Default 4. */
  concurrency?: number;
  /** Per source, how often it is probed while a terminal failure pauses its polling. Default 5 min. */
  reprobeMs?: ReadonlyMap<string, number>;
}

/**
 * BullMQ honours a rate limit set from a processor only on a worker with a limiter; this one is never reached by
 * itself (a poll queue runs one poll at a time).
 */
const POLL_LIMITER = { max: 1_000, duration: 1_000 };

/** The processors of the queues; failures reach BullMQ through `guard` (terminal: not retried; rate limited: that source's queue waits). */
export function startWorkers(
  runtime: WatchRuntime,
  connection: Redis | ConnectionOptions,
  prefix: string,
  { concurrency = 4, reprobeMs }: WorkerOptions = {},
): Worker[] {
  const poller = new SourcePoller(runtime, reprobeMs);
  const common = { connection, prefix, concurrency };

  const watchWorker = new Worker(
    QUEUE.watch,
    guard(async (job) => {
      if (job.name === JOB.reconcile) return reconcileWatches(runtime);
      const { watch_id } = WatchJobDataSchema.parse(job.data);
      if (job.name === JOB.baseline) return takeBaseline(runtime, watch_id, isLastAttempt(job));
      if (job.name === JOB.close) return closeWatch(runtime, poller, watch_id);
      throw new UnrecoverableError(`unknown job "${job.name}" on ${QUEUE.watch}`);
    }),
    // A baseline reads hours of telemetry: a worker killed twice inside one (deploys, OOM) must not fail it for good.
    { ...common, maxStalledCount: LIFECYCLE_MAX_STALLS },
  );
  const prevalenceWorker = new Worker(
    QUEUE.prevalence,
    guard(async (job) => {
      const { source_id } = PrevalenceJobDataSchema.parse(job.data);
      await refreshPrevalence(runtime, source_id);
    }),
    // One estate read at a time per process: each scans a whole estate's telemetry.
    { ...common, concurrency: 1 },
  );
  // One worker per source, each on the source's own queue: a 429 from one vendor holds back that source alone.
  const pollWorkers = [...runtime.connectors.keys()].map(
    (sourceId) =>
      new Worker(
        pollQueueName(sourceId),
        guard(
          async (job) => {
            const { source_id } = PollJobDataSchema.parse(job.data);
            return poller.tick(source_id);
          },
          { rateLimited: runtime.queues.pollQueue(sourceId) },
        ),
        { ...common, concurrency: 1, limiter: POLL_LIMITER, settings: { backoffStrategy: pollBackoff } },
      ),
  );
  const notifyWorker = new Worker(
    QUEUE.notify,
    guard(async (job) => {
      const { watch_id } = WatchJobDataSchema.parse(job.data);
      if (job.name === JOB.sync) await syncWatch(runtime, watch_id);
      else if (job.name === JOB.verdict) await publishVerdict(runtime, watch_id);
    }),
    // Slack allows about one message per second per channel: a few deliveries at a time is plenty.
    { ...common, concurrency: Math.min(concurrency, 2), settings: { backoffStrategy: deliveryBackoff } },
  );

  const workers = [watchWorker, prevalenceWorker, ...pollWorkers, notifyWorker];
  for (const worker of workers) {
    worker.on('failed', (job, error) =>
      runtime.logger.warn({ queue: worker.name, job: job?.name, job_id: job?.id, attempts: job?.attemptsMade, err: error.message }, 'job failed'),
    );
    worker.on('error', (error) => runtime.logger.error({ queue: worker.name, err: error.message }, 'worker error'));
  }
  return workers;
}

/** Times a lifecycle job may be found stalled (its worker died) before BullMQ fails it; the reconciler re-runs it after. */
const LIFECYCLE_MAX_STALLS = 5;

const isLastAttempt = (job: Job) => job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
