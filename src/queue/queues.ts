import { Queue, type DefaultJobOptions, type JobState } from 'bullmq';
import type { Redis } from 'ioredis';
import { DELIVERY_RETRIES } from './delivery-backoff.js';
import { EVENT_STREAM } from './event-stream.js';
import { JOB, QUEUE, pollQueueName, pollShardQueueName } from './jobs.js';
import { POLL_RETRIES } from './poll-retries.js';

/** Completed jobs are trimmed; failed ones are kept a week for post-mortems. */
const RETENTION: DefaultJobOptions = {
  removeOnComplete: { count: 1_000, age: 24 * 3600 },
  removeOnFail: { count: 5_000, age: 7 * 24 * 3600 },
};

/**
 * A shard's job says only which watches it polled; their health is on the watches. The last 20 finished (about 2 KB
 * each) show which workers take shards; failures are kept for a day.
 */
const SHARD_RETENTION: DefaultJobOptions = {
  removeOnComplete: { count: 20, age: 3600 },
  removeOnFail: { count: 1_000, age: 24 * 3600 },
};

/**
 * A sync runs after every change a poll makes: keeping many finished ones (about 1 KB each) would cost Redis more
 * than the findings they published. Failures are kept as long as any job's.
 */
const SYNC_RETENTION: DefaultJobOptions = { removeOnComplete: { count: 20, age: 3600 } };

const RETRIED: DefaultJobOptions = { ...RETENTION, attempts: 8, backoff: { type: 'exponential', delay: 2_000 } };

const prevalenceSchedulerId = (sourceId: string) => `prevalence-${sourceId}`;
const RECONCILER_SCHEDULER_ID = 'reconcile-watches';

/** What names a watch's lifecycle jobs: a re-driven job gets a new id, since BullMQ keeps a failed one under its id. */
interface LifecycleRef {
  id: string;
  hosts: readonly unknown[];
  sources: readonly string[];
  recovery?: { baseline_redrives: number; close_redrives: number } | undefined;
}

const redriveSuffix = (count: number | undefined) => (count ? `-r${count}` : '');

/** The baseline job of the watch's current hosts and sources (a merge that adds some makes a new one). */
export const baselineJobId = (watch: LifecycleRef): string =>
  `baseline-${watch.id}-${watch.hosts.length}h${watch.sources.length}s${redriveSuffix(watch.recovery?.baseline_redrives)}`;

/** The close job for a window ending at `at`; an extended watch gets a new one and the old one does nothing. */
export const closeJobId = (watchId: string, at: Date, redrives?: number): string => `close-${watchId}-${at.getTime()}${redriveSuffix(redrives)}`;

/** The product's queues and every way a job is put on them; job ids make each add idempotent. */
export class WatchQueues {
  readonly watch: Queue;
  readonly prevalence: Queue;
  readonly notify: Queue;
  private readonly polls = new Map<string, Queue>();
  private readonly errorListeners: ((error: Error, queue: string) => void)[] = [];

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
  ) {
    this.watch = new Queue(QUEUE.watch, { connection, prefix, defaultJobOptions: RETRIED, streams: EVENT_STREAM });
    this.prevalence = new Queue(QUEUE.prevalence, { connection, prefix, defaultJobOptions: RETRIED, streams: EVENT_STREAM });
    this.notify = new Queue(QUEUE.notify, { connection, prefix, defaultJobOptions: { ...RETENTION, ...DELIVERY_RETRIES }, streams: EVENT_STREAM });
  }

  /** (Re)takes the baseline of a watch; a merge that adds hosts or sources makes a new one. */
  async takeBaseline(watch: LifecycleRef): Promise<void> {
    // Listed first: a baseline job that runs finds every watch waiting for one, and takes those it can read with it.
    await this.connection.zadd(this.pendingBaselinesKey, Date.now(), watch.id);
    await this.watch.add(JOB.baseline, { watch_id: watch.id }, { jobId: baselineJobId(watch) });
  }

  /** Watches whose baseline was asked for and not yet claimed, and when the newest of them was asked for (epoch ms). */
  async pendingBaselines(): Promise<{ ids: string[]; newestAt: number | undefined }> {
    const flat = await this.connection.zrange(this.pendingBaselinesKey, '0', '-1', 'WITHSCORES');
    const ids = flat.filter((_member, index) => index % 2 === 0);
    return { ids, newestAt: flat.length > 0 ? Number(flat.at(-1)) : undefined };
  }

  /** Takes `ids` off the pending list; returns those this call took (another worker may have taken the others). */
  async claimBaselines(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const pipeline = this.connection.pipeline();
    for (const id of ids) pipeline.zrem(this.pendingBaselinesKey, id);
    const replies = (await pipeline.exec()) ?? [];
    return ids.filter((_, index) => replies[index]?.[1] === 1);
  }

  /** Lists `ids` as pending again (their baseline was not taken after all). */
  async releaseBaselines(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.connection.zadd(this.pendingBaselinesKey, ...ids.flatMap((id) => [String(Date.now()), id]));
  }

  /** Closes the watch at `at`; an extended watch gets a new close job and ignores the old one. */
  async closeAt(watchId: string, at: Date, redrives?: number): Promise<void> {
    await this.watch.add(
      JOB.close,
      { watch_id: watchId },
      { jobId: closeJobId(watchId, at, redrives), delay: Math.max(0, at.getTime() - Date.now()) },
    );
  }

  /** BullMQ's state of a lifecycle job (`unknown` when it was never added or was removed), and why it failed. */
  async lifecycleJob(jobId: string): Promise<{ state: JobState | 'unknown'; failedReason?: string }> {
    const state = await this.watch.getJobState(jobId);
    if (state !== 'failed') return { state };
    const job = await this.watch.getJob(jobId);
    return { state, ...(job?.failedReason ? { failedReason: job.failedReason } : {}) };
  }

  /** The reconciler of watches and their lifecycle jobs, every `everyMs`, across all workers. */
  async scheduleReconciler(everyMs: number): Promise<void> {
    const current = await this.watch.getJobScheduler(RECONCILER_SCHEDULER_ID);
    if (current?.every === everyMs) return;
    await this.watch.upsertJobScheduler(RECONCILER_SCHEDULER_ID, { every: everyMs }, { name: JOB.reconcile, data: {} });
  }

  /**
   * Publishes the watch's current state. At most one sync per watch runs at a time, and requests made while it
   * runs fold into one follow-up, so a change during a sync is never left unpublished.
   */
  async sync(watchId: string): Promise<void> {
    await this.notify.add(JOB.sync, { watch_id: watchId }, { ...SYNC_RETENTION, deduplication: { id: `sync-${watchId}`, keepLastIfActive: true } });
  }

  async publishVerdict(watchId: string): Promise<void> {
    await this.notify.add(JOB.verdict, { watch_id: watchId }, { jobId: `verdict-${watchId}` });
  }

  /** The source's own poll queue (created on first use). */
  pollQueue(sourceId: string): Queue {
    return this.queueOf(pollQueueName(sourceId), RETENTION);
  }

  /** The queue of the source's poll shards (created on first use). */
  pollShardQueue(sourceId: string): Queue {
    return this.queueOf(pollShardQueueName(sourceId), SHARD_RETENTION);
  }

  /**
   * Adds one job per shard of a poll. Each is retried like a poll (inside the tick), and kept briefly: dozens a tick
   * would otherwise fill Redis with finished jobs nobody reads.
   */
  async addPollShards(sourceId: string, shards: readonly { watchIds: string[] }[], everyMs: number | undefined): Promise<void> {
    await this.pollShardQueue(sourceId).addBulk(
      shards.map((shard) => ({
        name: JOB.pollShard,
        data: { source_id: sourceId, watch_ids: shard.watchIds, ...(everyMs === undefined ? {} : { every_ms: everyMs }) },
        opts: POLL_RETRIES,
      })),
    );
  }

  private queueOf(name: string, retention: DefaultJobOptions): Queue {
    let queue = this.polls.get(name);
    if (queue === undefined) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix, defaultJobOptions: retention, streams: EVENT_STREAM });
      for (const listener of this.errorListeners) this.listen(queue, listener);
      this.polls.set(name, queue);
    }
    return queue;
  }

  /** One poll scheduler per source, at the shortest poll interval any of its active watches asked for. */
  async schedulePolls(sourceId: string, everyMs: number | undefined): Promise<void> {
    const schedulerId = `poll-${sourceId}`;
    const queue = this.pollQueue(sourceId);
    if (everyMs === undefined) {
      await queue.removeJobScheduler(schedulerId);
      return;
    }
    const current = await queue.getJobScheduler(schedulerId);
    if (current?.every === everyMs) return;
    await queue.upsertJobScheduler(
      schedulerId,
      { every: everyMs },
      { name: JOB.poll, data: { source_id: sourceId, every_ms: everyMs }, opts: POLL_RETRIES },
    );
  }

  /** Polls the source at least every `everyMs`: a faster scheduler stays as it is. */
  async schedulePollsAtMost(sourceId: string, everyMs: number): Promise<void> {
    const current = await this.pollQueue(sourceId).getJobScheduler(`poll-${sourceId}`);
    if (current?.every !== undefined && current.every <= everyMs) return;
    await this.schedulePolls(sourceId, everyMs);
  }

  private get pendingBaselinesKey(): string {
    return `${this.prefix}:${QUEUE.watch}:pending-baselines`;
  }

  /**
   * One estate-prevalence refresh scheduler per source in `sourceIds`, every `everyMs` (BullMQ runs the first one
   * at once); schedulers
   * of sources no longer listed are removed.
   */
  async schedulePrevalenceRefreshes(sourceIds: readonly string[], everyMs: number): Promise<void> {
    const wanted = new Set(sourceIds.map(prevalenceSchedulerId));
    for (const scheduler of await this.prevalence.getJobSchedulers()) {
      if (!wanted.has(scheduler.key)) await this.prevalence.removeJobScheduler(scheduler.key);
    }
    for (const sourceId of sourceIds) {
      await this.prevalence.upsertJobScheduler(
        prevalenceSchedulerId(sourceId),
        { every: everyMs },
        { name: JOB.prevalence, data: { source_id: sourceId } },
      );
    }
  }

  /** Listens to every queue's `error` events (a queue with no listener prints them as multi-line dumps). */
  onError(listener: (error: Error, queue: string) => void): void {
    this.errorListeners.push(listener);
    for (const queue of this.all()) this.listen(queue, listener);
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((queue) => queue.close()));
  }

  private all(): Queue[] {
    return [this.watch, this.prevalence, this.notify, ...this.polls.values()];
  }

  private listen(queue: Queue, listener: (error: Error, queue: string) => void): void {
    queue.on('error', (error) => listener(error, queue.name));
  }
}
