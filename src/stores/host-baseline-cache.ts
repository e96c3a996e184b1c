import type { Redis } from 'ioredis';
import * as z from 'zod';
import { BaselineEntrySchema, type BaselineEntry } from '../contracts/connection-event.js';
import type { RedisKeys } from '../lib/keys.js';
import { packJson, unpackJson } from '../lib/packed-json.js';

/** One host's raw baseline rows from one source over [from, to): what a later watch of the host can reuse. */
export const CachedHostBaselineSchema = z.object({
  version: z.literal(2),
  source: z.string(),
  /** `sourceFingerprint` of the source's configuration when the rows were read. */
  source_config: z.string(),
  /** `hostIdentity` of the watched host. */
  host: z.string(),
  /** Epoch ms. */
  from: z.number().int(),
  to: z.number().int(),
  taken_at: z.string(),
  /** Rows as the source returned them, blocked indicators included: each watch leaves out its own. */
  entries: z.array(BaselineEntrySchema),
});
export type CachedHostBaseline = z.infer<typeof CachedHostBaselineSchema>;

export interface BaselineRange {
  /** Epoch ms. */
  from: number;
  to: number;
}

/**
 * Whether a cached baseline can stand for the one a watch asks for: taken before the block (never over it, or the
 * implant's fallback traffic would count as normal), at most `reuseForMs` before it, and at least as long. The
 * hours between the cached window's end and the block are not read: what started then looks new, which errs
 * towards a finding, never towards silence.
 */
export function canReuse(cached: Pick<CachedHostBaseline, 'from' | 'to'>, wanted: BaselineRange, reuseForMs: number): boolean {
  return cached.to <= wanted.to && wanted.to - cached.to <= reuseForMs && cached.to - cached.from >= wanted.to - wanted.from;
}

/** The cached rows that overlap the wanted window. */
export const rowsWithin = (cached: CachedHostBaseline, wanted: BaselineRange): BaselineEntry[] =>
  cached.entries.filter((entry) => entry.last_seen >= wanted.from);

/** Per (source, host) baselines in Redis, kept while a later block could still reuse them. */
export class HostBaselineCache {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async get(source: string, host: string): Promise<CachedHostBaseline | undefined> {
    const [cached] = await this.getMany(source, [host]);
    return cached;
  }

  /** The cached baselines of `hosts` in one round trip, in their order; a miss or an unreadable value is undefined. */
  async getMany(source: string, hosts: readonly string[]): Promise<(CachedHostBaseline | undefined)[]> {
    if (hosts.length === 0) return [];
    const packed = await this.redis.mgetBuffer(...hosts.map((host) => this.keys.hostBaseline(source, host)));
    return packed.map((value) => {
      if (!value) return undefined;
      try {
        const parsed = CachedHostBaselineSchema.safeParse(unpackJson(value));
        return parsed.success ? parsed.data : undefined;
      } catch {
        return undefined;
      }
    });
  }

  /** Stores `baseline` until it can no longer be reused; a newer window replaces an older one, never the reverse. */
  async save(baseline: CachedHostBaseline, reuseForMs: number): Promise<void> {
    const ttlMs = baseline.to + reuseForMs - Date.now();
    if (ttlMs <= 0) return;
    const current = await this.get(baseline.source, baseline.host);
    if (current && current.to > baseline.to) return;
    await this.redis.set(this.keys.hostBaseline(baseline.source, baseline.host), packJson(baseline), 'PX', ttlMs);
  }
}
