import { UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import { failureOf } from '../lib/failure-of.js';

/** How long a source's poll queue is held back after a throttle that did not say how long. */
export const DEFAULT_RATE_LIMIT_MS = 30_000;

export interface JobFailureScope {
  /**
   * The queue to hold back when a failure asks to slow down: a source's own poll queue, so one vendor's 429 pauses
   * no other source. Without it a rate limit is retried with the job's backoff like a retryable failure.
   */
  rateLimited?: Queue;
}

/**
 * The one mapping of the failure protocol onto BullMQ; returns what the processor throws. Terminal: the job fails
 * for good (`UnrecoverableError`). Rate limited: the scope's queue is rate-limited for the asked delay and the job
 * waits it out (`RateLimitError`, not counted as an attempt). Retryable, and anything outside the protocol (a
 * defect): thrown as is, so the job's attempts and backoff apply.
 */
export async function jobError(error: unknown, scope: JobFailureScope = {}): Promise<unknown> {
  const failure = failureOf(error);
  if (failure === undefined) return error;
  if (failure.kind === 'terminal') return new UnrecoverableError(`${failure.code}: ${failure.message}`);
  if (failure.kind === 'rate_limited' && scope.rateLimited) {
    await scope.rateLimited.rateLimit(failure.retryAfterMs ?? DEFAULT_RATE_LIMIT_MS);
    return Worker.RateLimitError();
  }
  return error;
}

/** A processor whose failures reach BullMQ through `jobError`. */
export function guard<T>(processor: (job: Job) => Promise<T>, scope: JobFailureScope = {}): (job: Job) => Promise<T> {
  return async (job) => {
    try {
      return await processor(job);
    } catch (error) {
      throw await jobError(error, scope);
    }
  };
}
