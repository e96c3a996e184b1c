import { webApi } from '@slack/bolt';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../../lib/keys.js';
import type { Logger } from '../../lib/logger.js';
import { AS_WRITTEN, NO_PREVIEWS, type SlackMessage } from '../render/block-kit.js';
import { pacedSend, type ChannelPacer } from './channel-pacer.js';
import type { ReplyTarget } from '../queue/slack-jobs.js';

const REMEMBER_SECONDS = 24 * 3600;
const RATE_LIMIT_RETRIES = 5;

export interface SlackRepliesOptions {
  /** A client that does not retry on its own: a reply is sent at most once. */
  client: webApi.WebClient;
  pacer: ChannelPacer;
  redis: Redis;
  keys: RedisKeys;
  logger: Logger;
}

/**
 * Answers to one person: a refusal, a confirmation, an error in their command. They go to the slash command's
 * `response_url`, else as an ephemeral message in the channel they clicked in, else as a direct message; at most once
 * per interaction (`ref`), paced per channel, 429s waited out. They are courtesy messages that cannot be looked up
 * afterwards, so a 5xx is not retried (it may have been shown) and a failure is logged rather than thrown.
 */
export class SlackReplies {
  private readonly log: Logger;

  constructor(private readonly options: SlackRepliesOptions) {
    this.log = options.logger.child({ component: 'slack-replies' });
  }

  async send(ref: string, target: ReplyTarget, message: SlackMessage): Promise<void> {
    const { redis, keys } = this.options;
    if ((await redis.set(keys.slackReplied(ref), '1', 'EX', REMEMBER_SECONDS, 'NX')) !== 'OK') return;
    try {
      await this.deliver(target, message);
    } catch (error) {
      this.log.warn({ ref, user: target.user_id, err: error instanceof Error ? error.message : String(error) }, 'could not answer in Slack');
    }
  }

  private async deliver(target: ReplyTarget, message: SlackMessage): Promise<void> {
    const { client, pacer } = this.options;
    if (target.response_url !== undefined) {
      const response = await fetch(target.response_url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text: message.text, blocks: message.blocks, ...NO_PREVIEWS }),
      });
      if (!response.ok) throw new Error(`response_url answered HTTP ${response.status}`);
      return;
    }
    const options = { rateLimitRetries: RATE_LIMIT_RETRIES };
    if (target.channel_id !== undefined) {
      const channel = target.channel_id;
      await pacedSend(pacer, 'post', channel, () => client.chat.postEphemeral({ channel, user: target.user_id, text: message.text, blocks: message.blocks, ...AS_WRITTEN }), options);
      return;
    }
    await pacedSend(pacer, 'post', target.user_id, () => client.chat.postMessage({ channel: target.user_id, text: message.text, blocks: message.blocks, ...NO_PREVIEWS }), options);
  }
}
