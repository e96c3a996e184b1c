import * as z from 'zod';
import { QUEUE } from '../queue/jobs.js';
import type { HomePublisher } from '../slack/home/home-publisher.js';
import { SLACK_JOB } from '../slack/queue/slack-jobs.js';
import { defineJob } from './job.js';
import { SLACK_WORKER } from './slack-queue.js';

export interface SlackHomeRefreshJobDeps {
  home: Pick<HomePublisher, 'refresh'>;
}

/** Re-publishes the App Home of everyone who opened it lately (a watch changed); queued with an empty payload. */
export const slackHomeRefreshJob = defineJob({
  queue: QUEUE.slack,
  name: SLACK_JOB.homeRefresh,
  data: z.object({}),
  worker: SLACK_WORKER,
  process: (deps: SlackHomeRefreshJobDeps) => deps.home.refresh(),
});
