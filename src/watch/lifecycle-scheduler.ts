import type { Watch } from '../contracts/watch.js';

/**
 * How the watch lifecycle asks for work to be done later. The lifecycle owns this interface and the queue module
 * implements it, so the lifecycle never depends on the jobs that do the work.
 */
export interface LifecycleScheduler {
  /** (Re)takes the baseline of the watch's current hosts and sources; idempotent per hosts and sources. */
  takeBaseline(watch: Watch): Promise<void>;
  /** Closes the watch at `at`; a later `closeAt` of an extended watch supersedes this one. */
  closeAt(watchId: string, at: Date, redrives?: number): Promise<void>;
  /** Publishes the watch's current state (requests made while one runs fold into one follow-up). */
  sync(watchId: string): Promise<void>;
  publishVerdict(watchId: string): Promise<void>;
  /** Polls the source every `everyMs`, or stops polling it when undefined. */
  schedulePolls(sourceId: string, everyMs: number | undefined): Promise<void>;
  /** Where a lifecycle job stands (`unknown` when it was never added or was removed), and why it failed. */
  lifecycleJob(jobId: string): Promise<{ state: string; failedReason?: string }>;
}
