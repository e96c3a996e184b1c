import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../../lib/keys.js';

/** Slack retries a delivery for up to about 5 minutes; a day leaves a wide margin. */
const REMEMBER_SECONDS = 24 * 3600;

/** The key of one Slack interaction, from the parts that stay the same when Slack retries it. */
export const interactionKey = (...parts: readonly string[]): string =>
  createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);

/**
 * Interactions already taken in. Slack retries a request it thinks failed (`X-Slack-Retry-Num`) with the same
 * payload; claiming its key first makes the retry a no-op, whichever API process receives it.
 */
export class InteractionLedger {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** True for the first delivery of an interaction, false for every repeat. */
  async claim(key: string): Promise<boolean> {
    return (await this.redis.set(this.keys.slackInteraction(key), '1', 'EX', REMEMBER_SECONDS, 'NX')) === 'OK';
  }

  /** Forgets a claim whose work could not be taken in, so Slack's retry can try again. */
  async release(key: string): Promise<void> {
    await this.redis.del(this.keys.slackInteraction(key));
  }
}
