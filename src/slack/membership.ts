import { webApi } from '@slack/bolt';
import type { Redis } from 'ioredis';
import * as z from 'zod';
import type { RedisKeys } from '../lib/keys.js';
import { platformErrorCode } from './delivery/errors.js';

/** Slack's definite "there is nothing to list" answers: the member list is empty, not unknown. */
const EMPTY_ANSWERS = new Set(['channel_not_found', 'not_in_channel', 'no_such_subteam', 'subteam_not_found', 'method_not_supported_for_channel_type']);

const MembersSchema = z.array(z.string());
const PAGE = 1_000;
const MAX_PAGES = 50;

/**
 * Members of channels and user groups, as Slack lists them, cached in Redis for `ttlMs` so a burst of button clicks
 * costs one look-up. Transient Slack failures are thrown (the caller retries later); a missing channel or group
 * counts as empty.
 */
export class SlackMembership {
  constructor(
    private readonly options: { client: webApi.WebClient; redis: Redis; keys: RedisKeys; ttlMs: number },
  ) {}

  async isMember(kind: 'channel' | 'usergroup', id: string, userId: string): Promise<boolean> {
    return (await this.members(kind, id)).includes(userId);
  }

  private async members(kind: 'channel' | 'usergroup', id: string): Promise<string[]> {
    const { redis, keys, ttlMs } = this.options;
    const key = keys.slackMembers(kind, id);
    const cached = await redis.get(key);
    if (cached !== null) {
      const parsed = MembersSchema.safeParse(JSON.parse(cached));
      if (parsed.success) return parsed.data;
    }
    const members = await this.fetch(kind, id);
    await redis.set(key, JSON.stringify(members), 'PX', ttlMs);
    return members;
  }

  private async fetch(kind: 'channel' | 'usergroup', id: string): Promise<string[]> {
    const { client } = this.options;
    try {
      if (kind === 'usergroup') return (await client.usergroups.users.list({ usergroup: id })).users ?? [];
      const members: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const response = await client.conversations.members({ channel: id, limit: PAGE, ...(cursor ? { cursor } : {}) });
        members.push(...(response.members ?? []));
        cursor = response.response_metadata?.next_cursor || undefined;
        if (cursor === undefined) break;
      }
      return members;
    } catch (error) {
      if (EMPTY_ANSWERS.has(platformErrorCode(error) ?? '')) return [];
      throw error;
    }
  }
}
