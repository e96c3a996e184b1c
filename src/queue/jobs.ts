import * as z from 'zod';

/** Queue names carry their own hash tag, so each queue's keys share one Redis Cluster slot. */
export const QUEUE = {
  /** Watch lifecycle: baseline, close, and the reconciler that repairs them. */
  watch: '{watch}',
  /** Each source's estate-prevalence refresh: long reads kept apart, so they never hold up a watch's baseline. */
  prevalence: '{prevalence}',
  /** One coalesced poll per source per tick. */
  poll: '{poll}',
  /** Reporting: status message, findings, verdict. */
  notify: '{notify}',
  /** Slack interactivity: responders' actions, App Home publications. */
  slack: '{slack}',
} as const;

export const WatchJobDataSchema = z.object({ watch_id: z.string() });
export const PollJobDataSchema = z.object({ source_id: z.string() });
export const PrevalenceJobDataSchema = z.object({ source_id: z.string() });

export const JOB = {
  baseline: 'baseline',
  close: 'close',
  reconcile: 'reconcile',
  poll: 'poll',
  prevalence: 'prevalence',
  sync: 'sync',
  verdict: 'verdict',
} as const;
