import type { SlackActionDeps } from '../slack/actions/action-deps.js';
import { runSlackAction } from '../slack/actions/run-action.js';
import { QUEUE } from '../queue/jobs.js';
import { SLACK_JOB, SlackActionJobSchema } from '../slack/queue/slack-jobs.js';
import { defineJob } from './job.js';
import { SLACK_WORKER } from './slack-queue.js';

export type SlackActionJobDeps = SlackActionDeps;

/** Does what a responder asked for in Slack (acknowledge, mark benign, escalate, extend, stop) and answers them. */
export const slackActionJob = defineJob({
  queue: QUEUE.slack,
  name: SLACK_JOB.action,
  data: SlackActionJobSchema,
  worker: SLACK_WORKER,
  process: (deps: SlackActionJobDeps, action) => runSlackAction(deps, action),
});
