import { deliveryBackoff } from '../queue/delivery-backoff.js';
import type { QueueWorkerSettings } from './job.js';

/** The `{slack}` queue's worker (actions, App Homes): deliveries to Slack back off like the notify queue's. */
export const SLACK_WORKER: QueueWorkerSettings = () => ({ settings: { backoffStrategy: deliveryBackoff } });
