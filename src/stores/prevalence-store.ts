import type { Redis } from 'ioredis';
import * as z from 'zod';
import { PrevalenceSnapshotSchema, type PrevalenceSnapshot } from '../contracts/prevalence.js';
import type { RedisKeys } from '../lib/keys.js';
import { packJson, unpackJson } from '../lib/packed-json.js';

/** Reads kept per source: enough that a block just after a refresh still finds one that ended before it. */
const KEPT_READS = 4;

export const PrevalenceStatusSchema = z.object({
  last_success_at: z.string().optional(),
  last_error_at: z.string().optional(),
  last_error: z.string().optional(),
});
export type PrevalenceStatus = z.infer<typeof PrevalenceStatusSchema>;

/** Each source's recent estate-wide prevalence reads, and how its refreshes went. */
export class PrevalenceStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async save(snapshot: PrevalenceSnapshot): Promise<void> {
    const key = this.keys.prevalence(snapshot.source);
    await this.redis
      .multi()
      .lpush(key, packJson(snapshot))
      .ltrim(key, 0, KEPT_READS - 1)
      .set(this.keys.prevalenceStatus(snapshot.source), JSON.stringify({ last_success_at: snapshot.refreshed_at }))
      .exec();
  }

  /** The kept reads, newest first; an unreadable one is skipped. */
  async list(source: string): Promise<PrevalenceSnapshot[]> {
    const packed = await this.redis.lrangeBuffer(this.keys.prevalence(source), 0, -1);
    return packed.flatMap((item) => {
      try {
        const parsed = PrevalenceSnapshotSchema.safeParse(unpackJson(item));
        return parsed.success ? [parsed.data] : [];
      } catch {
        return [];
      }
    });
  }

  /**
   * The newest read whose window ended by `blockedAt` (a read that includes time after the block could count the
   * implant's fallback channel as normal), if it ended at most `maxAgeMs` before it.
   */
  async forBlock(source: string, blockedAt: number, maxAgeMs: number): Promise<PrevalenceSnapshot | undefined> {
    let best: PrevalenceSnapshot | undefined;
    for (const snapshot of await this.list(source)) {
      const to = Date.parse(snapshot.to);
      if (to > blockedAt || blockedAt - to > maxAgeMs) continue;
      if (!best || to > Date.parse(best.to)) best = snapshot;
    }
    return best;
  }

  async status(source: string): Promise<PrevalenceStatus> {
    const raw = await this.redis.get(this.keys.prevalenceStatus(source));
    if (raw === null) return {};
    const parsed = PrevalenceStatusSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : {};
  }

  async recordFailure(source: string, at: string, error: string): Promise<void> {
    const status = await this.status(source);
    await this.redis.set(this.keys.prevalenceStatus(source), JSON.stringify({ ...status, last_error_at: at, last_error: error }));
  }
}
