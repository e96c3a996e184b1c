import { Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { deliveryBackoff } from '../../queue/delivery-backoff.js';
import { guard } from '../../jobs/job-failure.js';
import { QUEUE } from '../../queue/jobs.js';
import type { SlackActionDeps } from '../actions/action-deps.js';
import { runSlackAction } from '../actions/run-action.js';
import type { HomePublisher } from '../home/home-publisher.js';
import { HomeJobSchema, SLACK_JOB, SlackActionJobSchema } from './slack-jobs.js';

/** The `{slack}` queue's processor: responders' actions and App Home publications. */
export function startSlackWorker(options: {
  connection: Redis | ConnectionOptions;
  prefix: string;
  concurrency: number;
  actions: SlackActionDeps;
  home: HomePublisher;
}): Worker {
  const { actions, home } = options;
  const worker = new Worker(
    QUEUE.slack,
    guard(async (job: Job) => {
      if (job.name === SLACK_JOB.action) await runSlackAction(actions, SlackActionJobSchema.parse(job.data));
      else if (job.name === SLACK_JOB.home) await home.publish(HomeJobSchema.parse(job.data).user_id);
      else if (job.name === SLACK_JOB.homeRefresh) await home.refresh();
    }),
    { connection: options.connection, prefix: options.prefix, concurrency: options.concurrency, settings: { backoffStrategy: deliveryBackoff } },
  );
  worker.on('failed', (job, error) =>
    actions.logger.warn({ queue: worker.name, job: job?.name, job_id: job?.id, attempts: job?.attemptsMade, err: error.message }, 'job failed'),
  );
  worker.on('error', (error) => actions.logger.error({ queue: worker.name, err: error.message }, 'worker error'));
  return worker;
}
