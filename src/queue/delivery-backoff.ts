import type { BackoffStrategy, DefaultJobOptions } from 'bullmq';

/** Name of the backoff strategy of delivery jobs; every worker of a delivery queue registers `deliveryBackoff`. */
export const DELIVERY_BACKOFF = 'delivery';

const FIRST_DELAY_MS = 2_000;
const MAX_DELAY_MS = 5 * 60_000;

/** 2 s, 4 s, 8 s … then every 5 minutes: an outage of the chat platform delays messages but never drops them. */
export const deliveryBackoff: BackoffStrategy = (attemptsMade) => Math.min(FIRST_DELAY_MS * 2 ** Math.max(0, attemptsMade - 1), MAX_DELAY_MS);

/** About a week of retries at the 5-minute cap; a terminal error still fails the job at once. */
export const DELIVERY_RETRIES: Pick<DefaultJobOptions, 'attempts' | 'backoff'> = {
  attempts: 2_100,
  backoff: { type: DELIVERY_BACKOFF },
};
