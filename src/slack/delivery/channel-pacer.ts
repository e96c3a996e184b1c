import { setTimeout as sleep } from 'node:timers/promises';
import { webApi } from '@slack/bolt';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../../lib/keys.js';
import { LuaScript } from '../../lib/lua-script.js';

/**
 * Reserves the next send slot of a channel and returns how long to wait for it. The slot clock lives in Redis and
 * reads Redis' own time, so every worker shares one pace per channel whatever its local clock says.
 * KEYS[1] pace key; ARGV[1] interval ms. Returns the wait in ms.
 */
const RESERVE = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], slot + interval, 'PX', slot + interval - now + 60000)
return slot - now`);

/** Pushes the channel's next free slot to now + ARGV[1] ms unless it is already later (a 429's Retry-After). */
const HOLD_OFF = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ms = now + tonumber(ARGV[1])
if tonumber(redis.call('GET', KEYS[1]) or '0') < until_ms then
  redis.call('SET', KEYS[1], until_ms, 'PX', tonumber(ARGV[1]) + 60000)
end
return until_ms - now`);

/**
 * What a lane paces: `post` for new messages (Slack allows about one per second per channel), `edit` for
 * `chat.update`, which has its own budget, so a burst of edits never holds back a new finding.
 */
export type PaceLane = 'post' | 'edit';

export interface ChannelPacerOptions {
  redis: Redis;
  keys: RedisKeys;
  /** Minimum gap between two sends of one lane in one channel. @defaultValue 1_000 */
  intervalMs?: number;
}

/** Per-channel pacing of Slack sends, shared by every process through Redis. */
export class ChannelPacer {
  private readonly intervalMs: number;

  constructor(private readonly options: ChannelPacerOptions) {
    this.intervalMs = options.intervalMs ?? 1_000;
  }

  /** Reserves the next slot of `channel` and waits for it. */
  async acquire(lane: PaceLane, channel: string): Promise<void> {
    const waitMs = await this.reserve(lane, channel);
    if (waitMs > 0) await sleep(waitMs);
  }

  /** Reserves the next slot of `channel`; returns how many ms from now it starts. */
  async reserve(lane: PaceLane, channel: string): Promise<number> {
    return Number(await RESERVE.run(this.options.redis, [this.options.keys.slackPace(lane, channel)], [this.intervalMs]));
  }

  /** Slack answered 429 for this channel: no process sends to it in either lane before `retryAfterMs` passed. */
  async holdOff(channel: string, retryAfterMs: number): Promise<void> {
    const ms = Math.max(1, Math.ceil(retryAfterMs));
    await Promise.all(
      (['post', 'edit'] as const).map((lane) => HOLD_OFF.run(this.options.redis, [this.options.keys.slackPace(lane, channel)], [ms])),
    );
  }
}

export interface PacedSendOptions {
  /** How many 429s in a row are waited out before the last one is thrown. */
  rateLimitRetries: number;
  /** Told about each 429 before waiting (for logging). */
  onRateLimited?: (retryAfterSeconds: number) => void;
}

/**
 * Waits for the channel's slot and sends; a 429 holds the channel off for its Retry-After (for every process when
 * paced, else for this call alone) and the send is tried again. Any other failure is thrown at once: whether it is
 * safe to repeat is the caller's decision.
 */
export async function pacedSend<T>(
  pacer: ChannelPacer | undefined,
  lane: PaceLane,
  channel: string,
  send: () => Promise<T>,
  options: PacedSendOptions,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    await pacer?.acquire(lane, channel);
    try {
      return await send();
    } catch (error) {
      if (!(error instanceof webApi.WebAPIRateLimitedError) || attempt >= options.rateLimitRetries) throw error;
      options.onRateLimited?.(error.retryAfter);
      const retryAfterMs = Math.max(1, error.retryAfter) * 1_000;
      if (pacer === undefined) await sleep(retryAfterMs);
      else await pacer.holdOff(channel, retryAfterMs);
    }
  }
}
