import { afterEach, describe, expect, it } from 'vitest';
import { ACTION, encodeValue } from '../../src/slack/ids.js';
import { startFakeSocketMode, type FakeSocketMode } from '../fakes/fake-socket-mode.js';
import { SLACK_CHANNEL, type Pipeline } from '../helpers/pipeline.js';
import { RESPONDER, STRANGER, slackActionsDone, startSlackPipeline } from '../helpers/slack-pipeline.js';
import { buttonClick } from '../helpers/slack-requests.js';
import { waitFor } from '../helpers/wait.js';

describe('Slack over Socket Mode (SLACK_APP_TOKEN set)', () => {
  let pipeline: Pipeline | undefined;
  let socket: FakeSocketMode | undefined;
  afterEach(async () => {
    await pipeline?.close();
    await socket?.close();
    pipeline = undefined;
    socket = undefined;
  });

  it('takes the same buttons and commands over the WebSocket, acknowledges each envelope, and serves no HTTP endpoint', async () => {
    socket = await startFakeSocketMode();
    pipeline = await startSlackPipeline({ scenario: 'benign', env: { SLACK_APP_TOKEN: 'xapp-1-A0TEST-socket' }, slack: { socketModeUrl: socket.url } });
    await socket.connected();
    const opened = await pipeline.send(pipeline.request({ watch: { duration: '1h', poll_interval: '1s', baseline: '7d' } }));
    const watchId = opened.data.watch_id as string;
    const before = Date.parse((await pipeline.watch(watchId)).expires_at);

    const click = buttonClick({ user: RESPONDER, channel: SLACK_CHANNEL, actionId: ACTION.extend12h, value: encodeValue({ watch_id: watchId }) });
    await socket.push('interactive', click);
    await socket.push('interactive', click);
    await slackActionsDone(pipeline);
    expect(Date.parse((await pipeline.watch(watchId)).expires_at) - before).toBe(12 * 3_600_000);

    const answer = await socket.push('slash_commands', {
      command: '/containment',
      text: 'extend INC-2041 2h',
      user_id: STRANGER.id,
      user_name: STRANGER.username,
      channel_id: SLACK_CHANNEL,
      response_url: pipeline.slack.responseUrl('socket-1'),
      trigger_id: 'trigger-socket-1',
    });
    expect(JSON.stringify(answer)).toMatch(/not allowed to extend/);

    await sendHomeOpened(socket);
    await waitFor(async () => pipeline!.slack.views().some((view) => view.method === 'views.publish' && view.user_id === RESPONDER.id), { what: 'the Home tab' });
    expect((await fetch(`${pipeline.api.url}/slack/events`, { method: 'POST', body: 'payload=%7B%7D' })).status).toBe(404);
  });
});

async function sendHomeOpened(socket: FakeSocketMode): Promise<void> {
  await socket.push('events_api', {
    type: 'event_callback',
    team_id: 'T0TEST',
    api_app_id: 'A0TEST',
    event_id: 'Ev0SOCKET1',
    event_time: Math.floor(Date.now() / 1000),
    event: { type: 'app_home_opened', user: RESPONDER.id, channel: 'D0RESPOND1', tab: 'home' },
  });
}
