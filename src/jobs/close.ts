import { JOB, QUEUE, WatchJobDataSchema } from '../queue/jobs.js';
import { closeWatch, type WatchCloserDeps } from '../watch/watch-closer.js';
import { defineJob } from './job.js';
import { LIFECYCLE_WORKER } from './lifecycle-queue.js';

export type CloseJobDeps = WatchCloserDeps;

/** Closes a watch whose window has ended, or records what the close waits for and looks again later. */
export const closeJob = defineJob({
  queue: QUEUE.watch,
  name: JOB.close,
  data: WatchJobDataSchema,
  worker: LIFECYCLE_WORKER,
  process: (deps: CloseJobDeps, { watch_id }, job) => closeWatch(deps, watch_id, undefined, job.timestamp + (job.opts.delay ?? 0)),
});
