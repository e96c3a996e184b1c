import type { QueueOptions } from 'bullmq';

/**
 * How much of BullMQ's per-queue stream of job events Redis keeps. Nothing in the product reads it (no
 * `QueueEvents`), and a dashboard following a queue gets events as they come; BullMQ's default keeps 10,000 per
 * queue, a few hundred KB to a few MB of Redis. Redis trims it in whole stream nodes (100 entries), so 100 to 200 stay.
 */
export const EVENT_STREAM: NonNullable<QueueOptions['streams']> = { events: { maxLen: 100 } };
