import type { Redis } from 'ioredis';
import {
  SlackDeliveryProblemSchema,
  SourceHealthSchema,
  WatchSchema,
  type SlackDeliveryProblem,
  type SourceHealth,
  type Watch,
} from '../contracts/watch.js';
import { BaselineSnapshotSchema, type BaselineSnapshot } from '../detect/baseline.js';
import type { PrevalenceSnapshot } from '../contracts/prevalence.js';
import type { RedisKeys } from '../lib/keys.js';
import { packJson, unpackJson } from '../lib/packed-json.js';
import { withLock } from '../lib/lock.js';
import type { DecodedMemo } from './decoded-memo.js';
import { PrevalenceStore } from './prevalence-store.js';
import { readNow, type BatchedReads } from './batched-reads.js';
import { addToListIndexes } from './watch-list.js';

export type WatchFilter = 'active' | 'closed' | 'all';

const decodeWatch = (stored: Buffer): Watch => WatchSchema.parse(unpackJson(stored));
const decodeHealth = (stored: Buffer): SourceHealth => SourceHealthSchema.parse(unpackJson(stored));

const SNAPSHOT_QUALITY = 8;
/** How long a closed watch keeps its seen events. */
const SEEN_AFTER_CLOSE_MS = 60 * 60 * 1000;

/** A request's idempotency key, pointing at the watch it opened or joined. */
export interface IdempotencyRecord {
  key: string;
  ttlSeconds: number;
}

/** EXEC reports a command's failure in its reply array instead of rejecting: a half-applied write must not pass silently. */
async function execOrThrow(transaction: ReturnType<Redis['multi']>): Promise<void> {
  const replies = await transaction.exec();
  if (replies === null) throw new Error('Redis transaction aborted');
  const failed = replies.find(([error]) => error !== null);
  if (failed) throw failed[0] as Error;
}

/**
 * Watches as packed JSON records in Redis (`packJson`; plain JSON written by earlier versions reads the same), with
 * the indexes the product needs: active watches by expiry, every watch by creation, the active watch of an incident,
 * the watches polled by each source.
 */
export class WatchStore {
  private readonly prevalence: PrevalenceStore;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    this.prevalence = new PrevalenceStore(redis, keys);
  }

  async get(id: string): Promise<Watch | undefined> {
    const stored = await this.redis.getBuffer(this.keys.watch(id));
    return stored ? WatchSchema.parse(unpackJson(stored)) : undefined;
  }

  /** The watches of `ids` that exist. With `memo`, unchanged records are not decoded again (and come frozen). */
  async getMany(ids: readonly string[], memo?: DecodedMemo<Watch>): Promise<Watch[]> {
    if (ids.length === 0) return [];
    return readNow(this.redis, (batch) => this.readMany(batch, ids, memo));
  }

  /** `getMany` as part of a batch of reads. */
  readMany(batch: BatchedReads, ids: readonly string[], memo?: DecodedMemo<Watch>): () => Watch[] {
    if (ids.length === 0) return () => [];
    return batch.add(
      (pipeline) => pipeline.mgetBuffer(ids.map((id) => this.keys.watch(id))),
      ([values]) =>
        (values as (Buffer | null)[]).flatMap((stored, index) => {
          if (stored === null) return [];
          return [memo ? memo.decode(ids[index] as string, stored, decodeWatch) : decodeWatch(stored)];
        }),
    );
  }

  /**
   * Writes a new watch, its indexes and the request's idempotency key in one transaction: after a failure
   * either all of it exists or none does. Its lifecycle jobs are named by the watch record itself (see
   * `baselineJobId`, `closeJobId`), so whatever of them is missing afterwards is found and added by the reconciler.
   */
  async create(watch: Watch, idempotency?: IdempotencyRecord): Promise<void> {
    const transaction = this.redis.multi().set(this.keys.watch(watch.id), packJson(WatchSchema.parse(watch)));
    transaction.zadd(this.keys.allWatches, Date.parse(watch.created_at), watch.id);
    this.indexPipeline(transaction, undefined, watch);
    if (idempotency) transaction.set(idempotency.key, watch.id, 'EX', idempotency.ttlSeconds);
    await execOrThrow(transaction);
  }

  /**
   * Read-modify-write of one watch under its lock. `change` returns the new watch, or undefined to leave
   * it untouched. Returns the watch as stored afterwards. An idempotency key given is written in the same
   * transaction as the change.
   */
  async update(id: string, change: (watch: Watch) => Watch | undefined, idempotency?: IdempotencyRecord): Promise<Watch | undefined> {
    return withLock(this.redis, this.keys.watchLock(id), async () => {
      const current = await this.get(id);
      if (!current) return undefined;
      const next = change(structuredClone(current));
      if (!next) return current;
      next.updated_at = new Date().toISOString();
      const transaction = this.redis.multi().set(this.keys.watch(id), packJson(WatchSchema.parse(next)));
      this.indexPipeline(transaction, current, next);
      if (idempotency) transaction.set(idempotency.key, id, 'EX', idempotency.ttlSeconds);
      await execOrThrow(transaction);
      return next;
    });
  }

  async list(filter: WatchFilter, limit = 200): Promise<Watch[]> {
    const ids =
      filter === 'active'
        ? await this.redis.zrange(this.keys.activeWatches, 0, String(limit - 1))
        : await this.redis.zrevrange(this.keys.allWatches, 0, limit - 1);
    const watches = await this.getMany(ids);
    return filter === 'closed' ? watches.filter((watch) => watch.state === 'closed') : watches;
  }

  /** Every active watch (what `list('active')` shows is capped). */
  async countActive(): Promise<number> {
    return this.redis.zcard(this.keys.activeWatches);
  }

  /** The incident's newest watch, active or closed, from the listing's incident index. */
  async latestWatchOfIncident(incidentId: string): Promise<Watch | undefined> {
    const [id] = await this.redis.zrevrange(this.keys.incidentWatches(incidentId), 0, 0);
    return id === undefined ? undefined : this.get(id);
  }

  async activeWatchOfIncident(incidentId: string): Promise<Watch | undefined> {
    const id = await this.redis.get(this.keys.incidentWatch(incidentId));
    const watch = id ? await this.get(id) : undefined;
    return watch && watch.state !== 'closed' ? watch : undefined;
  }

  async watchIdsOfSource(sourceId: string): Promise<string[]> {
    return this.redis.smembers(this.keys.sourceWatches(sourceId));
  }

  async sourceHealth(id: string): Promise<SourceHealth[]> {
    const stored = await this.redis.hvalsBuffer(this.keys.sourceHealth(id));
    return stored.map((value) => SourceHealthSchema.parse(unpackJson(value))).sort((a, b) => a.source.localeCompare(b.source));
  }

  async sourceHealthOf(id: string, sourceId: string): Promise<SourceHealth | undefined> {
    const stored = await this.redis.hgetBuffer(this.keys.sourceHealth(id), sourceId);
    return stored ? SourceHealthSchema.parse(unpackJson(stored)) : undefined;
  }

  /** `sourceId`'s health on each of `ids`, in one round trip. With `memo`, unchanged records are not decoded again (and come frozen). */
  async sourceHealthOfMany(ids: readonly string[], sourceId: string, memo?: DecodedMemo<SourceHealth>): Promise<(SourceHealth | undefined)[]> {
    if (ids.length === 0) return [];
    return readNow(this.redis, (batch) => this.readSourceHealthOfMany(batch, ids, sourceId, memo));
  }

  /** `sourceHealthOfMany` as part of a batch of reads. */
  readSourceHealthOfMany(batch: BatchedReads, ids: readonly string[], sourceId: string, memo?: DecodedMemo<SourceHealth>): () => (SourceHealth | undefined)[] {
    return batch.add(
      (pipeline) => {
        for (const id of ids) pipeline.hgetBuffer(this.keys.sourceHealth(id), sourceId);
      },
      (replies) =>
        ids.map((id, index) => {
          const stored = replies[index];
          if (!(stored instanceof Buffer)) return undefined;
          return memo ? memo.decode(`${id}|${sourceId}`, stored, decodeHealth) : decodeHealth(stored);
        }),
    );
  }

  async saveSourceHealth(id: string, health: SourceHealth): Promise<void> {
    await this.redis.hset(this.keys.sourceHealth(id), health.source, packJson(health));
  }

  /**
   * Packed: a snapshot that embeds an estate read (taken by an earlier version) can reach megabytes of JSON. Written
   * once and kept for the watch's life, it is packed harder: quality 8 makes a 5-host snapshot 10 % smaller than
   * quality 6 (4.9 vs 5.4 KB of 72 KB) for a few ms more, once per watch.
   */
  async saveBaseline(id: string, snapshot: BaselineSnapshot): Promise<void> {
    await this.redis.set(this.keys.baseline(id), packJson(snapshot, SNAPSHOT_QUALITY));
  }

  /** The stored snapshot; one stored as plain JSON by an earlier version reads the same. */
  async baseline(id: string): Promise<BaselineSnapshot | undefined> {
    const stored = await this.redis.getBuffer(this.keys.baseline(id));
    if (!stored) return undefined;
    return BaselineSnapshotSchema.parse(unpackJson(stored));
  }

  /** An estate prevalence read a baseline references (`environment.estate[].read`). */
  async estateRead(source: string, id: string): Promise<PrevalenceSnapshot | undefined> {
    return this.prevalence.read(source, id);
  }

  /** Hosts that went quiet, by label, with when each was last heard. */
  async quietHosts(id: string): Promise<Map<string, string>> {
    return new Map(Object.entries(await this.redis.hgetall(this.keys.quietHosts(id))));
  }

  async saveQuietHosts(id: string, quiet: ReadonlyMap<string, string>): Promise<void> {
    const key = this.keys.quietHosts(id);
    const transaction = this.redis.multi().del(key);
    if (quiet.size > 0) transaction.hset(key, Object.fromEntries(quiet));
    await transaction.exec();
  }

  async slackDelivery(id: string): Promise<SlackDeliveryProblem | undefined> {
    const json = await this.redis.get(this.keys.slackDelivery(id));
    return json ? SlackDeliveryProblemSchema.parse(JSON.parse(json)) : undefined;
  }

  async saveSlackDelivery(id: string, problem: SlackDeliveryProblem): Promise<void> {
    await this.redis.set(this.keys.slackDelivery(id), JSON.stringify(problem));
  }

  private indexPipeline(pipeline: ReturnType<Redis['multi']>, before: Watch | undefined, after: Watch): void {
    // The listing's incident and host indexes only grow: a merge may add hosts, nothing removes any.
    if (before?.hosts.length !== after.hosts.length || before.incident_id !== after.incident_id) addToListIndexes(pipeline, this.keys, after);
    const active = after.state !== 'closed';
    if (active) {
      pipeline.zadd(this.keys.activeWatches, Date.parse(after.expires_at), after.id);
      pipeline.set(this.keys.incidentWatch(after.incident_id), after.id);
      for (const source of after.sources) pipeline.sadd(this.keys.sourceWatches(source), after.id);
    } else {
      pipeline.zrem(this.keys.activeWatches, after.id);
      for (const source of after.sources) pipeline.srem(this.keys.sourceWatches(source), after.id);
      if (before?.state !== 'closed') {
        // A closed watch is never polled again: the events it recorded need no de-duplication once a poll still in
        // flight at the close has surely ended.
        for (const key of [this.keys.seenEventDigests(after.id), this.keys.seenEvents(after.id)]) pipeline.pexpire(key, SEEN_AFTER_CLOSE_MS);
        // Only the incident's active pointer is removed; another watch may already have replaced it.
        pipeline.eval(
          `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`,
          1,
          this.keys.incidentWatch(after.incident_id),
          after.id,
        );
      }
    }
    for (const source of before?.sources ?? []) {
      if (!after.sources.includes(source)) pipeline.srem(this.keys.sourceWatches(source), after.id);
    }
  }
}
