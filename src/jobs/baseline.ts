import { JOB, QUEUE, WatchJobDataSchema } from '../queue/jobs.js';
import { takeBaseline, type BaselineTakerDeps } from '../watch/baseline-taker.js';
import { defineJob } from './job.js';
import { isLastAttempt, LIFECYCLE_WORKER } from './lifecycle-queue.js';

export type BaselineJobDeps = BaselineTakerDeps;

/** Takes a watch's baseline; on its last attempt a failing source is given up and the watch goes on without it. */
export const baselineJob = defineJob({
  queue: QUEUE.watch,
  name: JOB.baseline,
  data: WatchJobDataSchema,
  worker: LIFECYCLE_WORKER,
  process: (deps: BaselineJobDeps, { watch_id }, job) => takeBaseline(deps, watch_id, isLastAttempt(job)),
});
