import { afterEach, describe, expect, it } from 'vitest';
import { formatTimeLeft } from '../../src/report/text/time.js';
import { ACTION, encodeValue } from '../../src/slack/ids.js';
import { SLACK_CHANNEL, type Pipeline } from '../helpers/pipeline.js';
import { RESPONDER, STRANGER, startSlackPipeline, watchWithFinding } from '../helpers/slack-pipeline.js';
import { buttonClick, sendEvent, sendInteraction } from '../helpers/slack-requests.js';
import { waitFor } from '../helpers/wait.js';

/** Every "… left" a board drawn between `from` and `to` can show: minute steps cover each value between the two. */
function timesLeft(expiresAt: string, from: number, to: number): string[] {
  const texts = new Set<string>();
  for (let at = from; at < to; at += 60_000) texts.add(formatTimeLeft(expiresAt, at));
  return [...texts.add(formatTimeLeft(expiresAt, to))];
}

describe('the App Home board', () => {
  let pipeline: Pipeline | undefined;
  afterEach(async () => {
    await pipeline?.close();
    pipeline = undefined;
  });

  const homesOf = (userId: string) => pipeline!.slack.views().filter((view) => view.method === 'views.publish' && view.user_id === userId);
  const text = (view: { view: unknown } | undefined) => JSON.stringify(view?.view ?? {});

  it('is published when the tab opens, shows each active watch with time left, hosts, coverage, findings and last poll, and follows changes', async () => {
    pipeline = await startSlackPipeline();
    const { watchId } = await watchWithFinding(pipeline);
    const { expires_at: expiresAt } = await pipeline.watch(watchId);

    const openedAt = Date.now();
    expect((await sendEvent(pipeline.api.url, { type: 'app_home_opened', user: STRANGER.id, channel: 'D0STRANGE1', tab: 'messages' })).status).toBe(200);
    expect((await sendEvent(pipeline.api.url, { type: 'app_home_opened', user: RESPONDER.id, channel: 'D0RESPOND1', tab: 'home' })).status).toBe(200);
    const first = await waitFor(async () => homesOf(RESPONDER.id)[0], { what: 'the Home tab' });
    const publishedAt = Date.now();
    expect(first.view).toMatchObject({ type: 'home' });
    const board = text(first);
    expect(board).toContain('INC-2041');
    expect(timesLeft(expiresAt, openedAt, publishedAt).some((left) => board.includes(left))).toBe(true);
    expect(board).toMatch(/\*Hosts:\* 3/);
    expect(board).toMatch(/🔴 high \d/);
    expect(board).toMatch(/Last poll:\* (just now|\d+s ago)/);
    expect(board).toContain(`<#${SLACK_CHANNEL}>`);

    await sendInteraction(pipeline.api.url, buttonClick({ user: RESPONDER, channel: SLACK_CHANNEL, actionId: ACTION.extend24h, value: encodeValue({ watch_id: watchId }) }));
    await waitFor(async () => homesOf(RESPONDER.id).some((home) => /1d( \d+h)? left/.test(text(home))), { what: 'the board to show the extension' });
    expect(homesOf(STRANGER.id)).toHaveLength(0);
  });
});
