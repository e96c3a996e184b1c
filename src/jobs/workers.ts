import { UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import type { RunnableJob } from './job.js';

export interface WorkerOptions {
  connection: Redis | ConnectionOptions;
  prefix: string;
  /** Parallel jobs per queue in this process, unless a queue's settings say otherwise. Default 4. */
  concurrency?: number;
  /** Stored on every job this process runs (BullMQ's `processedBy`): which worker ran what. */
  name?: string;
  logger: Logger;
}

/**
 * One worker per queue of `jobs`, dispatching by job name. A job of a name no job of its queue has fails for good,
 * naming the job and the queue: a job this version does not know is never silently dropped.
 */
export function startWorkers(jobs: readonly RunnableJob[], { connection, prefix, concurrency = 4, name, logger }: WorkerOptions): Worker[] {
  return [...byQueue(jobs)].map(([queue, queueJobs]) => {
    const settings = queueJobs[0]!.worker;
    if (queueJobs.some((job) => job.worker !== settings)) throw new Error(`the jobs of ${queue} name different worker settings`);
    const byName = new Map(queueJobs.map((job) => [job.name, job]));
    if (byName.size < queueJobs.length) throw new Error(`${queue} has two jobs of one name`);
    const worker = new Worker(
      queue,
      async (job) => {
        const known = byName.get(job.name);
        if (known === undefined) throw new UnrecoverableError(`unknown job "${job.name}" on ${queue}`);
        return known.run(job);
      },
      { connection, prefix, concurrency, ...(name === undefined ? {} : { name }), ...settings(concurrency) },
    );
    worker.on('failed', (job, error) =>
      logger.warn({ queue: worker.name, job: job?.name, job_id: job?.id, attempts: job?.attemptsMade, err: error.message }, 'job failed'),
    );
    worker.on('error', (error) => logger.error({ queue: worker.name, err: error.message }, 'worker error'));
    return worker;
  });
}

function byQueue(jobs: readonly RunnableJob[]): Map<string, RunnableJob[]> {
  const queues = new Map<string, RunnableJob[]>();
  for (const job of jobs) queues.set(job.queue, [...(queues.get(job.queue) ?? []), job]);
  return queues;
}
