import { deliveryBackoff } from '../queue/delivery-backoff.js';
import type { QueueWorkerSettings } from './job.js';

/**
 * The notify queue's worker (sync, verdict). Slack allows about one message per second per channel: a few deliveries
 * at a time is plenty. Deliveries back off up to every 5 minutes, so an outage delays messages but never drops them.
 */
export const NOTIFY_WORKER: QueueWorkerSettings = (concurrency) => ({
  concurrency: Math.min(concurrency, 2),
  settings: { backoffStrategy: deliveryBackoff },
});
