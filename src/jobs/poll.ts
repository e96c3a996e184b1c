import type { Queue } from 'bullmq';
import { JOB, PollJobDataSchema, pollQueueName } from '../queue/jobs.js';
import { pollBackoff } from '../queue/poll-retries.js';
import type { Metrics } from '../lib/metrics.js';
import type { WatchQueues } from '../queue/queues.js';
import { pollIntervalWithin } from '../rules/poll-pace.js';
import type { PollPaceStore } from '../stores/poll-pace-store.js';
import type { PollOutcome, SourcePoller } from '../watch/source-poller.js';
import { defineJob, type QueueWorkerSettings } from './job.js';

export interface PollJobDeps {
  poller: Pick<SourcePoller, 'shards'>;
  queues: Pick<WatchQueues, 'pollShardQueue' | 'addPollShards'>;
  paces: Pick<PollPaceStore, 'set' | 'claimStart'>;
  /** Per source, the vendor requests admitted per minute across every worker (absent: no limit). */
  requestsPerMinute: ReadonlyMap<string, number>;
  metrics: Pick<Metrics, 'pollInterval'>;
}

/** What a scheduled poll did: its shards handed to the workers, or why not. */
export type PollStart = Exclude<PollOutcome, 'polled' | 'failed'> | 'dispatched' | 'slowed';

/**
 * One poll at a time per source. BullMQ honours a rate limit set from a processor only on a worker with a limiter;
 * the poll and shard queues are never reached by themselves.
 */
export const POLL_WORKER: QueueWorkerSettings = () => ({
  concurrency: 1,
  limiter: { max: 1_000, duration: 1_000 },
  settings: { backoffStrategy: pollBackoff },
});

/** Shards of the previous poll still to be read: while any is, a tick starts nothing (the reads would pile up). */
async function previousStillRunning(queue: Queue): Promise<boolean> {
  const counts = await queue.getJobCounts('wait', 'active', 'prioritized', 'delayed');
  return Object.values(counts).some((count) => count > 0);
}

/**
 * The source's scheduled poll: splits its watches into shards (about one query each) that any worker takes from the
 * source's shard queue. When one poll takes more queries than the budget allows at the asked interval, polls start
 * less often, and the pace is recorded so each watch's status and coverage show it.
 */
export async function startPoll(deps: PollJobDeps, sourceId: string, askedMs: number | undefined, now = Date.now()): Promise<PollStart> {
  if (await previousStillRunning(deps.queues.pollShardQueue(sourceId))) return 'busy';
  const { outcome, shards } = await deps.poller.shards(sourceId, now);
  if (outcome !== 'polled') return outcome;
  if (askedMs !== undefined) {
    const budgetPerMinute = deps.requestsPerMinute.get(sourceId);
    const queriesPerPoll = shards.length;
    const everyMs = pollIntervalWithin(askedMs, queriesPerPoll, budgetPerMinute);
    const slowed = everyMs > askedMs && budgetPerMinute !== undefined;
    deps.metrics.pollInterval.set({ source: sourceId }, everyMs / 1_000);
    await deps.paces.set(sourceId, slowed ? { asked_ms: askedMs, every_ms: everyMs, queries_per_poll: queriesPerPoll, budget_per_minute: budgetPerMinute } : undefined, now);
    if (slowed && !(await deps.paces.claimStart(sourceId, everyMs, askedMs))) return 'slowed';
  }
  await deps.queues.addPollShards(sourceId, shards, askedMs);
  return 'dispatched';
}

/** The scheduled poll of one source, on the source's own queue. */
export const pollJobOf = (sourceId: string) =>
  defineJob({
    queue: pollQueueName(sourceId),
    name: JOB.poll,
    data: PollJobDataSchema,
    worker: POLL_WORKER,
    process: (deps: PollJobDeps, { source_id, every_ms }) => startPoll(deps, source_id, every_ms),
  });
