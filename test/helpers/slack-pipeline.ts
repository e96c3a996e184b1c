import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Finding } from '../../src/contracts/finding.js';
import type { WatchView } from '../../src/contracts/watch.js';
import { QUEUE } from '../../src/queue/jobs.js';
import { SLACK_JOB } from '../../src/slack/queue/slack-jobs.js';
import type { FakeSlackMessage, FakeSlackView } from '../fakes/fake-slack.js';
import { Pipeline, SLACK_CHANNEL, type PipelineOptions } from './pipeline.js';
import { TEST_REDIS_URL } from './redis.js';
import { sendInteraction, SLACK_SIGNING_SECRET, viewSubmission, type User } from './slack-requests.js';
import { channelStory, findingIdOf } from './slack-posts.js';
import { waitFor } from './wait.js';

/** A member of the incident channel: allowed by default. */
export const RESPONDER: User = { id: 'U0RESPOND1', username: 'alice' };
/** Not in the channel, in no group, on no list. */
export const STRANGER: User = { id: 'U0STRANGE1', username: 'mallory' };
/** In the configured responders' user group only. */
export const GROUP_MEMBER: User = { id: 'U0GROUPIE1', username: 'grace' };
export const RESPONDER_GROUP = 'S0RESPOND1';
export const COMMANDER = 'U0COMMAND1';
export const ONCALL_GROUP = 'S0ONCALL01';

const SLACK_YAML = `slack:
  authorized:
    user_groups: [${RESPONDER_GROUP}]
  escalation:
    users: [${COMMANDER}]
    user_groups: [${ONCALL_GROUP}]
  delivery:
    channel_interval: 200ms
`;

/** The pipeline with Slack interactivity over HTTP: signed requests to the API's `/slack/events` drive it. */
export async function startSlackPipeline(options: Partial<PipelineOptions> = {}): Promise<Pipeline> {
  const pipeline = await Pipeline.start({
    scenario: 'fallback',
    ...options,
    extraYaml: `${SLACK_YAML}${options.extraYaml ?? ''}`,
    env: { SLACK_SIGNING_SECRET, ...options.env },
  });
  pipeline.slack.channelMembers.set(SLACK_CHANNEL, [RESPONDER.id, 'U0SOMEONE1']);
  pipeline.slack.userGroups.set(RESPONDER_GROUP, [GROUP_MEMBER.id]);
  pipeline.slack.userGroups.set(ONCALL_GROUP, ['U0ONCALL11']);
  return pipeline;
}

/** Opens a one-hour watch and waits for the rundll32 fallback to be posted as a finding. */
export async function watchWithFinding(pipeline: Pipeline): Promise<{ watchId: string; finding: Finding; reply: FakeSlackMessage }> {
  const opened = await pipeline.send(pipeline.request({ watch: { duration: '1h', poll_interval: '1s', baseline: '7d' } }));
  if (opened.status !== 202 && opened.status !== 200) throw new Error(`the webhook answered ${opened.status}: ${JSON.stringify(opened.data)}`);
  const watchId = opened.data.watch_id as string;
  const finding = await waitFor(
    async () => (await findingsOf(pipeline, watchId)).find((candidate) => candidate.process.name.toLowerCase() === 'rundll32.exe'),
    { what: 'the rundll32 finding' },
  );
  const reply = await waitFor(async () => replyOf(pipeline, finding.id), { what: 'the finding reply in Slack' });
  return { watchId, finding, reply };
}

/** The modals opened so far, in order. */
export const modalsOpened = (pipeline: Pipeline): FakeSlackView[] => pipeline.slack.views().filter((view) => view.method === 'views.open');

/**
 * A stranger clicks a button that opens a form: refused on the spot, or, when the membership look-up outlasts the
 * listener's precheck (a loaded machine), shown the form, which the worker refuses once it is submitted with `values`.
 * Either way the stranger hears `refusal`; resolves, once no action is left to run, with the actions taken in so far.
 */
export async function strangerRefusedAForm(
  pipeline: Pipeline,
  click: Record<string, unknown>,
  values: Parameters<typeof viewSubmission>[0]['values'],
  refusal: RegExp,
): Promise<{ completed: number; failed: number }> {
  const opened = modalsOpened(pipeline).length;
  await sendInteraction(pipeline.api.url, click);
  const refused = () => pipeline.slack.ephemerals().some((message) => message.user === STRANGER.id && refusal.test(message.text ?? ''));
  const form = await waitFor(async () => (refused() ? 'refused' : modalsOpened(pipeline)[opened]), { what: 'the refusal, or the form' });
  if (form !== 'refused') {
    const view = { callback_id: String(form.view.callback_id), private_metadata: String(form.view.private_metadata) };
    await sendInteraction(pipeline.api.url, viewSubmission({ user: STRANGER, view, values }));
    await waitFor(async () => refused(), { what: 'the refusal of the submitted form' });
  }
  return slackActionsDone(pipeline);
}

export async function findingsOf(pipeline: Pipeline, watchId: string): Promise<Finding[]> {
  return (await pipeline.get<{ findings: Finding[] }>(`/v1/watches/${watchId}/findings`)).findings;
}

export async function findingOf(pipeline: Pipeline, watchId: string, findingId: string): Promise<Finding | undefined> {
  return (await findingsOf(pipeline, watchId)).find((finding) => finding.id === findingId);
}

export const replyOf = (pipeline: Pipeline, findingId: string): FakeSlackMessage | undefined =>
  channelStory(pipeline.slack, SLACK_CHANNEL).findingReplies.find((reply) => findingIdOf(reply) === findingId);

/** Replies in the status message's thread that are notes (not findings, not the verdict). */
export const threadNotes = (pipeline: Pipeline): FakeSlackMessage[] =>
  pipeline.slack
    .messagesIn(SLACK_CHANNEL)
    .filter((message) => message.thread_ts !== undefined && JSON.stringify(message.blocks ?? []).includes('"block_id":"note:'));

export const auditOf = async (pipeline: Pipeline, watchId: string): Promise<WatchView['audit']> => (await pipeline.watch(watchId)).audit;

/**
 * Waits until no responder action is waiting or running on the `{slack}` queue, and returns how many were taken in
 * (App Home refreshes come and go with every watch change and are not counted).
 */
export async function slackActionsDone(pipeline: Pipeline): Promise<{ completed: number; failed: number }> {
  const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(QUEUE.slack, { connection, prefix: `${pipeline.prefix}-q` });
  const actions = async (states: ('waiting' | 'active' | 'delayed' | 'prioritized' | 'completed' | 'failed')[]) =>
    (await queue.getJobs(states)).filter((job) => job.name === SLACK_JOB.action).length;
  try {
    return await waitFor(
      async () =>
        (await actions(['waiting', 'active', 'delayed', 'prioritized'])) === 0
          ? { completed: await actions(['completed']), failed: await actions(['failed']) }
          : undefined,
      { what: 'the Slack actions to finish', everyMs: 100 },
    );
  } finally {
    await queue.close();
    connection.disconnect();
  }
}
