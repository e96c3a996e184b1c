import { refreshPrevalence, type PrevalenceDeps } from '../baseline/prevalence-reader.js';
import { JOB, PrevalenceJobDataSchema, QUEUE } from '../queue/jobs.js';
import { defineJob } from './job.js';

export type PrevalenceJobDeps = PrevalenceDeps;

/** Refreshes one source's estate prevalence; one estate read at a time per process, as each scans a whole estate. */
export const prevalenceJob = defineJob({
  queue: QUEUE.prevalence,
  name: JOB.prevalence,
  data: PrevalenceJobDataSchema,
  worker: () => ({ concurrency: 1 }),
  process: (deps: PrevalenceJobDeps, { source_id }) => refreshPrevalence(deps, source_id),
});
