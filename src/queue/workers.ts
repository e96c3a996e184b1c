import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { SlackDeliveryError } from '../report/slack/errors.js';
import { SourceError } from '../sources/source-error.js';
import { refreshPrevalence } from '../baseline/prevalence-reader.js';
import { takeBaseline } from '../watch/baseline-taker.js';
import { publishVerdict, syncWatch } from '../watch/publisher.js';
import type { WatchRuntime } from '../watch/runtime.js';
import { SourcePoller } from '../watch/source-poller.js';
import { closeWatch } from '../watch/watch-closer.js';
import { reconcileWatches } from '../watch/reconciler.js';
import { deliveryBackoff } from './delivery-backoff.js';
import { JOB, PollJobDataSchema, PrevalenceJobDataSchema, QUEUE, WatchJobDataSchema } from './jobs.js';

export interface WorkerOptions {
  /** Parallel jobs per queue in this process. Default 4. */
  concurrency?: number;
}

/** The processors of the queues; terminal source or Slack errors are not retried, the rest are. */
export function startWorkers(
  runtime: WatchRuntime,
  connection: Redis | ConnectionOptions,
  prefix: string,
  { concurrency = 4 }: WorkerOptions = {},
): Worker[] {
  const poller = new SourcePoller(runtime);
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
  const pollWorker = new Worker(
    QUEUE.poll,
    guard(async (job) => {
      const { source_id } = PollJobDataSchema.parse(job.data);
      return poller.poll(source_id);
    }),
    common,
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

  const workers = [watchWorker, prevalenceWorker, pollWorker, notifyWorker];
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

function guard<T>(processor: (job: Job) => Promise<T>): (job: Job) => Promise<T> {
  return async (job) => {
    try {
      return await processor(job);
    } catch (error) {
      if (error instanceof SourceError && error.kind === 'terminal') throw new UnrecoverableError(error.message);
      if (error instanceof SlackDeliveryError && !error.retryable) throw new UnrecoverableError(error.message);
      throw error;
    }
  };
}
