import type { Job, WorkerOptions } from 'bullmq';
import type * as z from 'zod';
import { guard, type JobFailureScope } from './job-failure.js';

/**
 * The worker settings a queue's jobs need, given the process' concurrency. One worker runs a whole queue, so every
 * job of a queue names the same settings.
 */
export type QueueWorkerSettings = (concurrency: number) => Omit<WorkerOptions, 'connection' | 'prefix'>;

/** One kind of job: where it is queued, its name and payload there, and what it does with the dependencies it names. */
export interface JobDefinition<Deps, Data> {
  queue: string;
  name: string;
  data: z.ZodType<Data>;
  worker: QueueWorkerSettings;
  process(deps: Deps, data: Data, job: Job): Promise<unknown>;
  /** Where a failure that asks to slow down is applied (see `jobError`); without it, it is retried like any other. */
  failureScope?(deps: Deps): JobFailureScope;
}

/** A job bound to its dependencies: what a worker runs for a job of that name on that queue. */
export interface RunnableJob {
  queue: string;
  name: string;
  worker: QueueWorkerSettings;
  run(job: Job): Promise<unknown>;
}

export const defineJob = <Deps, Data>(definition: JobDefinition<Deps, Data>): JobDefinition<Deps, Data> => definition;

/** Parses the payload and runs the job; its failures reach BullMQ through `guard` (terminal: not retried). */
export function bindJob<Deps, Data>(definition: JobDefinition<Deps, Data>, deps: Deps): RunnableJob {
  return {
    queue: definition.queue,
    name: definition.name,
    worker: definition.worker,
    run: guard((job) => definition.process(deps, definition.data.parse(job.data), job), definition.failureScope?.(deps)),
  };
}
