import { afterEach, describe, expect, it } from 'vitest';
import { ACTION, VIEW, encodeValue } from '../../src/slack/ids.js';
import { SLACK_CHANNEL, type Pipeline } from '../helpers/pipeline.js';
import { channelStory } from '../helpers/slack-posts.js';
import {
  GROUP_MEMBER,
  RESPONDER,
  STRANGER,
  auditOf,
  modalsOpened,
  slackActionsDone,
  startSlackPipeline,
  strangerRefusedAForm,
  threadNotes,
} from '../helpers/slack-pipeline.js';
import { buttonClick, sendInteraction, viewSubmission } from '../helpers/slack-requests.js';
import { waitFor } from '../helpers/wait.js';

const HOUR = 3_600_000;
const blocksOf = (message: { blocks?: unknown } | undefined): string => JSON.stringify(message?.blocks ?? []);

async function openWatch(pipeline: Pipeline): Promise<string> {
  const opened = await pipeline.send(pipeline.request({ watch: { duration: '1h', poll_interval: '1s', baseline: '7d' } }));
  const watchId = opened.data.watch_id as string;
  await waitFor(async () => blocksOf(channelStory(pipeline.slack, SLACK_CHANNEL).statusMessages[0]).includes(ACTION.extend12h), {
    what: 'the status message with its buttons',
  });
  return watchId;
}

describe('responders extend or stop a watch from its status message', () => {
  let pipeline: Pipeline | undefined;
  afterEach(async () => {
    await pipeline?.close();
    pipeline = undefined;
  });

  it('Extend 12h and 24h move the expiry for members of the channel or of the responders group, with a note in the thread; a stranger changes nothing', async () => {
    pipeline = await startSlackPipeline({ scenario: 'benign' });
    const watchId = await openWatch(pipeline);
    const value = encodeValue({ watch_id: watchId });
    const before = Date.parse((await pipeline.watch(watchId)).expires_at);

    await sendInteraction(pipeline.api.url, buttonClick({ user: STRANGER, channel: SLACK_CHANNEL, actionId: ACTION.extend24h, value }));
    await slackActionsDone(pipeline);
    expect(Date.parse((await pipeline.watch(watchId)).expires_at)).toBe(before);
    expect(pipeline.slack.ephemerals().find((message) => message.user === STRANGER.id)?.text).toMatch(/not allowed to extend/);

    const twelve = buttonClick({ user: RESPONDER, channel: SLACK_CHANNEL, actionId: ACTION.extend12h, value });
    await sendInteraction(pipeline.api.url, twelve);
    await sendInteraction(pipeline.api.url, twelve, { retryNum: 1 });
    await sendInteraction(pipeline.api.url, buttonClick({ user: GROUP_MEMBER, channel: SLACK_CHANNEL, actionId: ACTION.extend24h, value }));
    await slackActionsDone(pipeline);

    const view = await pipeline.watch(watchId);
    expect(Date.parse(view.expires_at) - before).toBe(36 * HOUR);
    expect(view.audit.filter((entry) => entry.action === 'extend').map((entry) => [entry.actor, entry.detail]).sort()).toEqual([
      ['slack:U0GROUPIE1 (grace)', 'by 1d'],
      ['slack:U0RESPOND1 (alice)', 'by 12h'],
    ]);
    const notes = await waitFor(async () => (threadNotes(pipeline!).length === 2 ? threadNotes(pipeline!) : undefined), { what: 'two notes' });
    expect(notes.map(blocksOf).join()).toMatch(/extended the watch by 12h/);
    expect(notes.map(blocksOf).join()).toMatch(/extended the watch by 1d/);
  });

  it('Extend… opens a modal that rejects a duration it cannot read and extends by the one typed', async () => {
    pipeline = await startSlackPipeline({ scenario: 'benign' });
    const watchId = await openWatch(pipeline);
    const before = Date.parse((await pipeline.watch(watchId)).expires_at);

    await sendInteraction(pipeline.api.url, buttonClick({ user: RESPONDER, channel: SLACK_CHANNEL, actionId: ACTION.extendCustom, value: encodeValue({ watch_id: watchId }) }));
    const modal = await waitFor(async () => pipeline!.slack.views().find((view) => view.method === 'views.open'), { what: 'the modal' });
    expect(modal.view).toMatchObject({ callback_id: VIEW.extend });
    const view = { callback_id: VIEW.extend, private_metadata: String(modal.view.private_metadata) };

    const unreadable = await sendInteraction(pipeline.api.url, viewSubmission({ user: RESPONDER, view, values: { duration: { text: 'a while' } } }));
    expect(unreadable.body).toMatchObject({ response_action: 'errors', errors: { duration: expect.stringMatching(/not a duration.*12h/) } });
    const tooLong = await sendInteraction(pipeline.api.url, viewSubmission({ user: RESPONDER, view, values: { duration: { text: '90d' } } }));
    expect(tooLong.body).toMatchObject({ response_action: 'errors', errors: { duration: expect.stringMatching(/out of range/) } });

    await sendInteraction(pipeline.api.url, viewSubmission({ user: RESPONDER, view, values: { duration: { text: '6h' } } }));
    await slackActionsDone(pipeline);
    expect(Date.parse((await pipeline.watch(watchId)).expires_at) - before).toBe(6 * HOUR);
  });

  it('Stop… asks for a reason, then the watch closes with it, the verdict links the evidence report, and the audit names who stopped it', async () => {
    pipeline = await startSlackPipeline({ scenario: 'benign' });
    const watchId = await openWatch(pipeline);
    const value = encodeValue({ watch_id: watchId });

    const stranger = buttonClick({ user: STRANGER, channel: SLACK_CHANNEL, actionId: ACTION.stop, value, triggerId: 'trigger-stranger-stop' });
    await strangerRefusedAForm(pipeline, stranger, { reason: { text: 'not mine to stop' } }, /not allowed to stop/);
    expect((await pipeline.watch(watchId)).state).not.toBe('closed');

    await sendInteraction(pipeline.api.url, buttonClick({ user: RESPONDER, channel: SLACK_CHANNEL, actionId: ACTION.stop, value, triggerId: 'trigger-stop' }));
    const modal = await waitFor(async () => modalsOpened(pipeline!).find((view) => view.trigger_id === 'trigger-stop'), { what: 'the modal' });
    expect(modal.view).toMatchObject({ callback_id: VIEW.stop });
    const view = { callback_id: VIEW.stop, private_metadata: String(modal.view.private_metadata) };
    const empty = await sendInteraction(pipeline.api.url, viewSubmission({ user: RESPONDER, view, values: { reason: { text: '' } } }));
    expect(empty.body).toMatchObject({ response_action: 'errors', errors: { reason: expect.any(String) } });
    await sendInteraction(pipeline.api.url, viewSubmission({ user: RESPONDER, view, values: { reason: { text: 'host reimaged' } } }));

    const closed = await pipeline.closed(watchId);
    expect(closed).toMatchObject({ state: 'closed', stop_reason: 'host reimaged' });
    expect(closed.audit.find((entry) => entry.action === 'stop')).toMatchObject({ actor: 'slack:U0RESPOND1 (alice)', detail: 'host reimaged' });
    const story = channelStory(pipeline.slack, SLACK_CHANNEL);
    expect(blocksOf(story.verdicts[0])).toContain(`/v1/watches/${watchId}/report?format=md`);
    await waitFor(async () => !blocksOf(channelStory(pipeline!.slack, SLACK_CHANNEL).statusMessages[0]).includes(ACTION.stop), {
      what: 'the closed status message to lose its buttons',
    });
    expect(threadNotes(pipeline).map(blocksOf).join()).toMatch(/stopped the watch: host reimaged/);
    expect((await auditOf(pipeline, watchId)).map((entry) => entry.action)).toEqual(['open', 'stop', 'close']);
  });
});
