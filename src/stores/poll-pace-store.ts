import type { Redis } from 'ioredis';
import { PollPaceSchema, type PollPace } from '../contracts/watch.js';
import type { RedisKeys } from '../lib/keys.js';
import { readNow, type BatchedReads } from './batched-reads.js';

/** Per source, how much slower than asked its polls run to stay within its request budget (absent: as asked). */
export class PollPaceStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async get(sourceId: string): Promise<PollPace | undefined> {
    return readNow(this.redis, (batch) => this.read(batch, sourceId));
  }

  /** `get` as part of a batch of reads. */
  read(batch: BatchedReads, sourceId: string): () => PollPace | undefined {
    return batch.add(
      (pipeline) => pipeline.hget(this.keys.pollPaces, sourceId),
      ([raw]) => (typeof raw === 'string' ? PollPaceSchema.parse(JSON.parse(raw)) : undefined),
    );
  }

  /** Records the pace (keeping when the source first became slower than asked), or clears it when `pace` is undefined. */
  async set(sourceId: string, pace: Omit<PollPace, 'since'> | undefined, now: number): Promise<PollPace | undefined> {
    if (pace === undefined) {
      await this.redis.hdel(this.keys.pollPaces, sourceId);
      return undefined;
    }
    const since = (await this.get(sourceId))?.since ?? new Date(now).toISOString();
    const recorded: PollPace = { ...pace, since };
    await this.redis.hset(this.keys.pollPaces, sourceId, JSON.stringify(recorded));
    return recorded;
  }

  /**
   * True when a poll may start now at `everyMs`: at most one start per interval across every worker. A start holds
   * the slot for the interval less half a tick (`tickMs`), so the tick at the interval's end is not turned away by
   * scheduling jitter.
   */
  async claimStart(sourceId: string, everyMs: number, tickMs: number): Promise<boolean> {
    const holdMs = Math.max(1, everyMs - Math.floor(tickMs / 2));
    return (await this.redis.set(this.keys.pollStarted(sourceId), String(Date.now()), 'PX', holdMs, 'NX')) === 'OK';
  }
}
