import { JOB, QUEUE, WatchJobDataSchema } from '../queue/jobs.js';
import { publishVerdict, type PublisherDeps } from '../watch/publisher.js';
import { defineJob } from './job.js';
import { NOTIFY_WORKER } from './notify-queue.js';

export type VerdictJobDeps = PublisherDeps;

/** Publishes a closed watch's last findings, then its verdict. */
export const verdictJob = defineJob({
  queue: QUEUE.notify,
  name: JOB.verdict,
  data: WatchJobDataSchema,
  worker: NOTIFY_WORKER,
  process: (deps: VerdictJobDeps, { watch_id }) => publishVerdict(deps, watch_id),
});
