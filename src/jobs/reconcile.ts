import * as z from 'zod';
import { JOB, QUEUE } from '../queue/jobs.js';
import { reconcileWatches, type ReconcilerDeps } from '../watch/reconciler.js';
import { defineJob } from './job.js';
import { LIFECYCLE_WORKER } from './lifecycle-queue.js';

export type ReconcileJobDeps = ReconcilerDeps;

/** Repairs the lifecycle jobs of every active watch; scheduled every `RECONCILE_EVERY_MS`, with an empty payload. */
export const reconcileJob = defineJob({
  queue: QUEUE.watch,
  name: JOB.reconcile,
  data: z.object({}),
  worker: LIFECYCLE_WORKER,
  process: (deps: ReconcileJobDeps) => reconcileWatches(deps),
});
