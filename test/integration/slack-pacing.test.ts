import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { webApi } from '@slack/bolt';
import { redisKeys, type RedisKeys } from '../../src/lib/keys.js';
import { silentLogger } from '../../src/lib/logger.js';
import { ChannelPacer } from '../../src/slack/delivery/channel-pacer.js';
import { SlackReplies } from '../../src/slack/delivery/slack-replies.js';
import { shortReply } from '../../src/slack/messages/replies.js';
import { startFakeSlack, type FakeSlack } from '../fakes/fake-slack.js';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

let redis: Redis;
let prefix: string;
let keys: RedisKeys;

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 2 });
});
afterAll(async () => {
  await redis.quit();
});
beforeEach(() => {
  prefix = uniquePrefix('pace');
  keys = redisKeys(prefix);
});
afterEach(async () => {
  await dropPrefix(prefix);
});

describe('per-channel pacing shared through Redis', () => {
  // A wait is counted from the moment Redis runs the reservation: two reservations `elapsed` ms apart see their slots
  // up to that much closer, however far apart the slots themselves are.
  it('gives three workers sending to one channel slots one interval apart, and holds up no other channel', async () => {
    const workers = [0, 1, 2].map(() => new ChannelPacer({ redis, keys, intervalMs: 1_000 }));
    const from = Date.now();
    const waits = (await Promise.all(workers.map((pacer) => pacer.reserve('post', 'C0INCIDENT1')))).sort((a, b) => a - b);
    const elapsed = Date.now() - from;
    expect(waits[0]).toBe(0);
    for (const gap of [waits[1]! - waits[0]!, waits[2]! - waits[1]!]) {
      expect(gap).toBeLessThanOrEqual(1_000);
      expect(gap).toBeGreaterThanOrEqual(1_000 - elapsed);
    }
    expect(await workers[0]!.reserve('post', 'C0ELSEWHERE')).toBe(0);
    expect(await workers[1]!.reserve('edit', 'C0INCIDENT1')).toBe(0);
  });

  it("a 429's Retry-After holds the channel off for every worker, posts and edits alike", async () => {
    const limited = new ChannelPacer({ redis, keys, intervalMs: 1_000 });
    const other = new ChannelPacer({ redis, keys, intervalMs: 1_000 });
    const from = Date.now();
    await limited.holdOff('C0INCIDENT1', 5_000);
    const waits = [await other.reserve('post', 'C0INCIDENT1'), await other.reserve('edit', 'C0INCIDENT1')];
    const elapsed = Date.now() - from;
    for (const wait of waits) {
      expect(wait).toBeLessThanOrEqual(5_000);
      expect(wait).toBeGreaterThanOrEqual(5_000 - elapsed);
    }
    expect(await other.reserve('post', 'C0ELSEWHERE')).toBe(0);
  });
});

describe('answers to one person', () => {
  let slack: FakeSlack;
  beforeEach(async () => {
    slack = await startFakeSlack();
  });
  afterEach(async () => {
    await slack.close();
  });

  const replies = () =>
    new SlackReplies({
      client: new webApi.WebClient('xoxb-test', { slackApiUrl: slack.url, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true }),
      pacer: new ChannelPacer({ redis, keys, intervalMs: 100 }),
      redis,
      keys,
      logger: silentLogger(),
    });

  it('are sent once per interaction, after waiting out a 429, even when two workers try', async () => {
    slack.failNext('chat.postEphemeral', { status: 429, retryAfter: 1 });
    const target = { user_id: 'U0RESPOND1', channel_id: 'C0INCIDENT1' };
    await Promise.all([replies().send('ref-1', target, shortReply('first')), replies().send('ref-1', target, shortReply('first'))]);
    await replies().send('ref-1', target, shortReply('first'));
    expect(slack.ephemerals()).toEqual([expect.objectContaining({ channel: 'C0INCIDENT1', user: 'U0RESPOND1', text: 'first' })]);
    expect(slack.calls.filter((call) => call.method === 'chat.postEphemeral')).toHaveLength(2);
  });

  it("go to the slash command's response_url when there is one, and to a direct message when there is no channel", async () => {
    await replies().send('ref-2', { user_id: 'U0RESPOND1', response_url: slack.responseUrl('cmd-1') }, shortReply('via response_url'));
    await replies().send('ref-3', { user_id: 'U0RESPOND1' }, shortReply('via DM'));
    expect(slack.responses()).toEqual([{ id: 'cmd-1', body: expect.objectContaining({ response_type: 'ephemeral', text: 'via response_url' }) }]);
    expect(slack.posts()).toEqual([expect.objectContaining({ channel: 'U0RESPOND1', text: 'via DM' })]);
  });
});
