import { JOB, QUEUE, WatchJobDataSchema } from '../queue/jobs.js';
import { syncWatch, type PublisherDeps } from '../watch/publisher.js';
import { defineJob } from './job.js';
import { NOTIFY_WORKER } from './notify-queue.js';

export type SyncJobDeps = PublisherDeps;

/** Publishes a watch's status message and its unpublished findings. */
export const syncJob = defineJob({
  queue: QUEUE.notify,
  name: JOB.sync,
  data: WatchJobDataSchema,
  worker: NOTIFY_WORKER,
  process: (deps: SyncJobDeps, { watch_id }) => syncWatch(deps, watch_id),
});
