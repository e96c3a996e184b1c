import type { Job } from 'bullmq';
import type { QueueWorkerSettings } from './job.js';

/** Times a lifecycle job may be found stalled (its worker died) before BullMQ fails it; the reconciler re-runs it after. */
const LIFECYCLE_MAX_STALLS = 5;

/**
 * The watch queue's worker (baseline, close, reconcile). A baseline reads hours of telemetry: a worker killed twice
 * inside one (deploys, OOM) must not fail it for good.
 */
export const LIFECYCLE_WORKER: QueueWorkerSettings = () => ({ maxStalledCount: LIFECYCLE_MAX_STALLS });

export const isLastAttempt = (job: Job): boolean => job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
