import type { BackoffStrategy, DefaultJobOptions } from 'bullmq';
import { PollJobDataSchema } from './jobs.js';

/** Name of the poll jobs' backoff strategy; every poll worker registers `pollBackoff`. */
export const POLL_BACKOFF = 'poll';

/** A poll that failed on a retryable error gets two more tries before its tick is given up. */
export const POLL_RETRIES: Pick<DefaultJobOptions, 'attempts' | 'backoff'> = {
  attempts: 3,
  backoff: { type: POLL_BACKOFF },
};

const FIRST_DELAY_MS = 1_000;

/**
 * 1 s, then 2 s, each capped at a quarter of the source's poll interval: both retries are over before the next
 * tick's poll, which would read the same window again anyway.
 */
export const pollBackoff: BackoffStrategy = (attemptsMade, _type, _error, job) => {
  const everyMs = PollJobDataSchema.safeParse(job?.data).data?.every_ms;
  const delay = FIRST_DELAY_MS * 2 ** Math.max(0, attemptsMade - 1);
  return everyMs === undefined ? delay : Math.min(delay, Math.floor(everyMs / 4));
};
