import type { Redis } from 'ioredis';
import * as z from 'zod';
import { SourcePauseSchema } from '../contracts/watch.js';
import type { Failure } from '../lib/failure.js';
import type { RedisKeys } from '../lib/keys.js';
import { LuaScript } from '../lib/lua-script.js';
import { readNow, type BatchedReads } from './batched-reads.js';

/**
 * Deletes the fault of ARGV[1] unless it was last seen at or after ARGV[2] (ISO 8601, which orders as text): a read
 * that worked clears only the refusals seen before it started.
 */
const CLEAR_OLDER = new LuaScript(`
local raw = redis.call('hget', KEYS[1], ARGV[1])
if not raw then return 0 end
local ok, fault = pcall(cjson.decode, raw)
if ok and type(fault) == 'table' and type(fault.last_seen) == 'string' and fault.last_seen >= ARGV[2] then return 0 end
return redis.call('hdel', KEYS[1], ARGV[1])
`);

/** A source whose polling is paused because the vendor refused us for good; cleared by the first poll that works. */
export const SourceFaultSchema = SourcePauseSchema.extend({
  source: z.string(),
  /** The vendor's refusal, cleaned at the HTTP client (no control characters, bounded): still vendor text. */
  message: z.string(),
  last_seen: z.string(),
});
export type SourceFault = z.infer<typeof SourceFaultSchema>;

/** The terminal faults of every source, in one hash: `/readyz` reads them all at once. */
export class SourceFaults {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async get(sourceId: string): Promise<SourceFault | undefined> {
    return readNow(this.redis, (batch) => this.read(batch, sourceId));
  }

  /** `get` as part of a batch of reads. */
  read(batch: BatchedReads, sourceId: string): () => SourceFault | undefined {
    return batch.add(
      (pipeline) => pipeline.hget(this.keys.sourceFaults, sourceId),
      ([raw]) => (typeof raw === 'string' ? SourceFaultSchema.parse(JSON.parse(raw)) : undefined),
    );
  }

  async all(): Promise<SourceFault[]> {
    const raw = await this.redis.hgetall(this.keys.sourceFaults);
    return Object.values(raw)
      .map((value) => SourceFaultSchema.parse(JSON.parse(value)))
      .sort((a, b) => a.source.localeCompare(b.source));
  }

  /** Records `failure` of `sourceId` at `now`, keeping the first-seen time of the same code; the next probe is `reprobeMs` away. */
  async record(sourceId: string, failure: Failure, now: number, reprobeMs: number): Promise<SourceFault> {
    const previous = await this.get(sourceId);
    const at = new Date(now).toISOString();
    const fault: SourceFault = {
      source: sourceId,
      code: failure.code,
      message: failure.message,
      since: previous?.code === failure.code ? previous.since : at,
      last_seen: at,
      next_probe_at: new Date(now + reprobeMs).toISOString(),
    };
    await this.redis.hset(this.keys.sourceFaults, sourceId, JSON.stringify(fault));
    return fault;
  }

  /**
   * Clears the fault of a source whose read started at `readStartedAt` and worked; true when one was cleared. A fault
   * seen at or after that start stays: it came from a read running beside this one (another shard of the same tick),
   * and the refusal is newer than this read's proof that the credential works.
   */
  async clear(sourceId: string, readStartedAt: number): Promise<boolean> {
    return Number(await CLEAR_OLDER.run(this.redis, [this.keys.sourceFaults], [sourceId, new Date(readStartedAt).toISOString()])) > 0;
  }
}
