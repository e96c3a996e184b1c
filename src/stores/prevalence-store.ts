import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import * as z from 'zod';
import { PrevalenceSnapshotSchema, type PrevalenceSnapshot } from '../contracts/prevalence.js';
import type { RedisKeys } from '../lib/keys.js';
import { packJson, unpackJson } from '../lib/packed-json.js';
import { LuaScript } from '../lib/lua-script.js';

/** Reads kept per source: enough that a block just after a refresh still finds one that ended before it. */
const KEPT_READS = 4;

/** gzip's magic bytes: a list entry written before reads were stored by id holds the read itself. */
const isPacked = (entry: Buffer): boolean => entry[0] === 0x1f && entry[1] === 0x8b;

/**
 * A read's id: a hash of its content, so one id always names the same counts, whichever worker compiled them. The
 * content is laid out in one field order: a read parsed back from Redis lists its fields in the schema's order, not
 * in the order it was saved in, and must still find its stored id (or every watch after the first embeds the read).
 * The order is the one reads were saved in, so reads stored before keep their ids.
 */
export const prevalenceReadId = (read: PrevalenceSnapshot): string => {
  const { version, source, from, to, refreshed_at, host_count, ports, destinations, partial } = read;
  const content = {
    version,
    source,
    from,
    to,
    refreshed_at,
    host_count,
    ports: ports.map(({ protocol, port, hosts }) => ({ protocol, port, hosts })),
    destinations: destinations.map(({ destination, hosts }) => ({ destination, hosts })),
    partial,
  };
  return createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 32);
};

/** Adds the watch to the read's users, only while the read is stored: a read pruned meanwhile is embedded instead. */
const PIN_SCRIPT = new LuaScript(`
if redis.call('exists', KEYS[1]) == 0 then return 0 end
redis.call('sadd', KEYS[2], ARGV[1])
return 1`);

/**
 * Drops a read that is neither among the source's kept reads nor used by an active watch (a watch in its baseline
 * is active too), forgetting users that closed. Atomic with PIN_SCRIPT, so no watch is left referencing a read
 * deleted under it.
 */
const PRUNE_SCRIPT = new LuaScript(`
if redis.call('lpos', KEYS[3], ARGV[1]) then return 0 end
local active = false
for _, watchId in ipairs(redis.call('smembers', KEYS[2])) do
  if redis.call('zscore', KEYS[5], watchId) then active = true else redis.call('srem', KEYS[2], watchId) end
end
if active then return 0 end
redis.call('del', KEYS[1], KEYS[2])
redis.call('srem', KEYS[4], ARGV[1])
return 1`);

export const PrevalenceStatusSchema = z.object({
  last_success_at: z.string().optional(),
  last_error_at: z.string().optional(),
  last_error: z.string().optional(),
});
export type PrevalenceStatus = z.infer<typeof PrevalenceStatusSchema>;

/**
 * Each source's recent estate-wide prevalence reads, and how its refreshes went. A read is stored once under its id;
 * watches' baselines reference it by that id, and it stays stored while a kept read or used by an active watch.
 */
export class PrevalenceStore {
  /**
   * Per source, the stored reads its list held when last listed, parsed, by id. An id is the hash of the read's
   * content, so a parse stays right for as long as the id is listed: every watch's baseline lists the source's reads
   * to pick one, and unpacking and checking four estate-wide tables per watch cost a worker seconds per hundred
   * watches opened. Callers treat the reads as immutable.
   */
  private readonly parsedReads = new Map<string, Map<string, PrevalenceSnapshot>>();
  /** The ids of reads this store saved or listed: hashing an estate-wide table again for every watch pinning it cost about 6 ms each. */
  private readonly idOfRead = new WeakMap<PrevalenceSnapshot, string>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async save(snapshot: PrevalenceSnapshot): Promise<void> {
    const id = prevalenceReadId(snapshot);
    this.idOfRead.set(snapshot, id);
    const key = this.keys.prevalence(snapshot.source);
    await this.redis
      .multi()
      .set(this.readKey(snapshot.source, id), packJson(snapshot))
      .sadd(this.storedReadsKey(snapshot.source), id)
      .lpush(key, id)
      .ltrim(key, 0, KEPT_READS - 1)
      .set(this.keys.prevalenceStatus(snapshot.source), JSON.stringify({ last_success_at: snapshot.refreshed_at }))
      .exec();
    await this.prune(snapshot.source);
  }

  /** The kept reads, newest first; an unreadable one is skipped. */
  async list(source: string): Promise<PrevalenceSnapshot[]> {
    const entries = await this.redis.lrangeBuffer(this.keys.prevalence(source), 0, -1);
    const ids = entries.filter((entry) => !isPacked(entry)).map((entry) => entry.toString('utf8'));
    const parsed = this.parsedReads.get(source) ?? new Map<string, PrevalenceSnapshot>();
    const unparsed = ids.filter((id) => !parsed.has(id));
    const bodies = unparsed.length === 0 ? [] : await this.redis.mgetBuffer(unparsed.map((id) => this.readKey(source, id)));
    // Only the reads listed now are kept: a read dropped from the list is not asked for by id here again.
    const listed = new Map<string, PrevalenceSnapshot>();
    for (const id of ids) {
      const read = parsed.get(id) ?? parseRead(bodies[unparsed.indexOf(id)]);
      if (!read) continue;
      listed.set(id, read);
      this.idOfRead.set(read, id);
    }
    this.parsedReads.set(source, listed);
    return entries.flatMap((entry) => {
      const read = isPacked(entry) ? parseRead(entry) : listed.get(entry.toString('utf8'));
      return read ? [read] : [];
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

  /**
   * Records that the watch's baseline uses this read, keeping it stored while the watch is active. Returns the read's
   * id, or undefined when the read is not stored under one (kept by an earlier version, or pruned since).
   */
  async pin(read: PrevalenceSnapshot, watchId: string): Promise<string | undefined> {
    const id = this.idOfRead.get(read) ?? prevalenceReadId(read);
    const pinned = await PIN_SCRIPT.run(this.redis, [this.readKey(read.source, id), this.readUsersKey(read.source, id)], [watchId]);
    return pinned === 1 ? id : undefined;
  }

  /** A stored read by its id. */
  async read(source: string, id: string): Promise<PrevalenceSnapshot | undefined> {
    return parseRead(await this.redis.getBuffer(this.readKey(source, id)));
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

  private async prune(source: string): Promise<void> {
    for (const id of await this.redis.smembers(this.storedReadsKey(source))) {
      await PRUNE_SCRIPT.run(
        this.redis,
        [this.readKey(source, id), this.readUsersKey(source, id), this.keys.prevalence(source), this.storedReadsKey(source), this.keys.activeWatches],
        [id],
      );
    }
  }

  private readKey(source: string, id: string): string {
    return this.keys.prevalenceRead(source, id);
  }

  private readUsersKey(source: string, id: string): string {
    return this.keys.prevalenceReadUsers(source, id);
  }

  private storedReadsKey(source: string): string {
    return this.keys.prevalenceReads(source);
  }
}

function parseRead(packed: Buffer | null | undefined): PrevalenceSnapshot | undefined {
  if (!packed) return undefined;
  try {
    const parsed = PrevalenceSnapshotSchema.safeParse(unpackJson(packed));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
