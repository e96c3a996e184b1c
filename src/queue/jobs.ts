import * as z from 'zod';

/** Queue names carry their own hash tag, so each queue's keys share one Redis Cluster slot. */
export const QUEUE = {
  /** Watch lifecycle: baseline, close, and the reconciler that repairs them. */
  watch: '{watch}',
  /** Each source's estate-prevalence refresh: long reads kept apart, so they never hold up a watch's baseline. */
  prevalence: '{prevalence}',
  /** Reporting: status message, findings, verdict. */
  notify: '{notify}',
  /** Slack interactivity: responders' actions, App Home publications. */
  slack: '{slack}',
} as const;

/**
 * One coalesced poll per tick, on a queue of the source's own: a vendor's rate limit holds back that queue alone
 * (BullMQ rate-limits whole queues; its per-group limits are a BullMQ Pro feature).
 */
export const pollQueueName = (sourceId: string): string => `{poll-${sourceId}}`;
/**
 * The shards of the source's polls, on a queue of their own so that a tick can see whether the previous one is still
 * being worked through, and a vendor's 429 holds back the source's reads alone.
 */
export const pollShardQueueName = (sourceId: string): string => `{poll-shards-${sourceId}}`;

export const WatchJobDataSchema = z.object({ watch_id: z.string() });
/** The scheduler's interval rides along so that retries can be kept inside one tick. */
export const PollJobDataSchema = z.object({ source_id: z.string(), every_ms: z.number().int().positive().optional() });
export const PollShardJobDataSchema = PollJobDataSchema.extend({ watch_ids: z.array(z.string()).min(1) });
export const PrevalenceJobDataSchema = z.object({ source_id: z.string() });

export const JOB = {
  baseline: 'baseline',
  close: 'close',
  reconcile: 'reconcile',
  poll: 'poll',
  pollShard: 'poll-shard',
  prevalence: 'prevalence',
  sync: 'sync',
  verdict: 'verdict',
} as const;
