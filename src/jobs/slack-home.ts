import { QUEUE } from '../queue/jobs.js';
import type { HomePublisher } from '../slack/home/home-publisher.js';
import { HomeJobSchema, SLACK_JOB } from '../slack/queue/slack-jobs.js';
import { defineJob } from './job.js';
import { SLACK_WORKER } from './slack-queue.js';

export interface SlackHomeJobDeps {
  home: Pick<HomePublisher, 'publish'>;
}

/** Publishes the App Home of one user, who just opened it. */
export const slackHomeJob = defineJob({
  queue: QUEUE.slack,
  name: SLACK_JOB.home,
  data: HomeJobSchema,
  worker: SLACK_WORKER,
  process: (deps: SlackHomeJobDeps, { user_id }) => deps.home.publish(user_id),
});
