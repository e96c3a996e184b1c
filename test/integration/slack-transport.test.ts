import { afterEach, describe, expect, it } from 'vitest';
import { ACTION, encodeValue } from '../../src/slack/ids.js';
import { SLACK_CHANNEL, type Pipeline } from '../helpers/pipeline.js';
import { RESPONDER, slackActionsDone, startSlackPipeline } from '../helpers/slack-pipeline.js';
import { buttonClick, postToSlackEndpoint, sendInteraction } from '../helpers/slack-requests.js';

describe('Slack over HTTP on the API server', () => {
  let pipeline: Pipeline | undefined;
  afterEach(async () => {
    await pipeline?.close();
    pipeline = undefined;
  });

  it('Bolt checks Slack signatures on /slack/events only: forged, stale or unsigned requests change nothing, and the webhook keeps its own auth', async () => {
    pipeline = await startSlackPipeline({ scenario: 'benign' });
    const opened = await pipeline.send(pipeline.request({ watch: { duration: '1h', poll_interval: '1s', baseline: '7d' } }));
    const watchId = opened.data.watch_id as string;
    const before = (await pipeline.watch(watchId)).expires_at;
    const click = buttonClick({ user: RESPONDER, channel: SLACK_CHANNEL, actionId: ACTION.extend12h, value: encodeValue({ watch_id: watchId }) });

    expect((await sendInteraction(pipeline.api.url, click, { secret: 'not-the-signing-secret' })).status).toBe(401);
    const stale = new URLSearchParams({ payload: JSON.stringify(click) }).toString();
    const staleAt = Math.floor(Date.now() / 1000) - 10 * 60;
    expect((await postToSlackEndpoint(pipeline.api.url, stale, 'application/x-www-form-urlencoded', { timestamp: staleAt })).status).toBe(401);
    const unsigned = await fetch(`${pipeline.api.url}/slack/events`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: stale });
    expect(unsigned.status).toBe(401);
    expect(await slackActionsDone(pipeline)).toEqual({ completed: 0, failed: 0 });
    expect((await pipeline.watch(watchId)).expires_at).toBe(before);

    const webhookWithSlackSignature = await fetch(`${pipeline.api.url}/v1/containments`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Slack-Signature': 'v0=00', 'X-Slack-Request-Timestamp': '1' },
      body: JSON.stringify(pipeline.request()),
    });
    expect(webhookWithSlackSignature.status).toBe(401);

    const challenge = await postToSlackEndpoint(pipeline.api.url, JSON.stringify({ type: 'url_verification', challenge: 'c-123', token: 't' }), 'application/json');
    expect(challenge.body).toMatchObject({ challenge: 'c-123' });
  });
});
