import { SourceError } from '../source-error.js';
import { abortableDelay } from './abort.js';

export interface PollJobOptions<T> {
  sourceId: string;
  /** Names the job in the deadline error, e.g. "Splunk search job 1764410400.42". */
  what: string;
  /** One status check: the job's outcome when it is done, undefined while it still runs. */
  check: () => Promise<T | undefined>;
  /** Wait before the second check; it grows by half after every check that finds the job running. */
  intervalMs: number;
  /** Longest wait between two checks. Default: 5 × `intervalMs`. */
  maxIntervalMs?: number;
  /** How long the job may run, from the first check. */
  timeoutMs: number;
  signal?: AbortSignal;
  now?: () => number;
}

/**
 * Checks an asynchronous vendor job (Splunk search, PAN-OS log query, FortiAnalyzer session) until it is done.
 * The first check is immediate: small jobs are often done by then. A job still running at the deadline is a
 * `retryable` error (the next poll starts a new one); an aborted signal rejects with its reason at once.
 */
export async function pollJob<T>(options: PollJobOptions<T>): Promise<T> {
  const now = options.now ?? Date.now;
  const deadline = now() + options.timeoutMs;
  const maxInterval = options.maxIntervalMs ?? 5 * options.intervalMs;
  let interval = options.intervalMs;
  for (;;) {
    options.signal?.throwIfAborted();
    const outcome = await options.check();
    if (outcome !== undefined) return outcome;
    const left = deadline - now();
    if (left <= 0) {
      throw new SourceError('retryable', options.sourceId, `${options.what} did not finish within ${options.timeoutMs} ms`);
    }
    await abortableDelay(Math.min(interval, left), options.signal);
    interval = Math.min(maxInterval, Math.ceil(interval * 1.5));
  }
}
