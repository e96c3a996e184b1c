import { createHash } from 'node:crypto';
import type { RequestBudget } from '../http/request-budget.js';

/** `dv/query-status` allows one call per second per API token. */
export const STATUS_INTERVAL_MS = 1_000;

/**
 * One request at a time, each sent `intervalMs` after the previous one ended. Spacing from the end, not the start,
 * is what keeps the vendor's count right whatever the delays: the next request leaves after the previous answer
 * came back, so it reaches the vendor more than `intervalMs` after the previous one did. (Spacing the starts broke
 * this on a loaded machine: a request held up on its way out arrived less than a second before the next.)
 * Callers queue in the order they asked.
 */
export class IntervalGate implements RequestBudget {
  private tail: Promise<void> = Promise.resolve();
  private endCurrent: (() => void) | undefined;

  constructor(private readonly intervalMs: number) {}

  async acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const previous = this.tail;
    let end!: () => void;
    const ended = new Promise<void>((resolve) => (end = resolve));
    this.tail = ended.then(() => new Promise((resolve) => setTimeout(resolve, this.intervalMs)));
    try {
      await waitUnlessAborted(previous, signal);
    } catch (error) {
      // The caller gave up waiting: its turn passes to the next one as soon as it would have come.
      void previous.then(end);
      throw error;
    }
    this.endCurrent = end;
  }

  settled(): void {
    const end = this.endCurrent;
    this.endCurrent = undefined;
    end?.();
  }
}

function waitUnlessAborted(turn: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return turn;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void turn.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

/** One gate per token in this process: two sources configured with the same token share its status limit. */
const gates = new Map<string, IntervalGate>();

export function statusGateFor(apiToken: string): IntervalGate {
  const key = createHash('sha256').update(apiToken).digest('hex');
  let gate = gates.get(key);
  if (!gate) {
    gate = new IntervalGate(STATUS_INTERVAL_MS);
    gates.set(key, gate);
  }
  return gate;
}

/**
 * The source's budget first, the status gate last: the gate's spacing must sit right before the request goes
 * out, or a long wait for the budget would let two status calls leave back to back.
 */
export const budgetThenGate = (budget: RequestBudget, gate: RequestBudget): RequestBudget => ({
  async acquire(signal) {
    await budget.acquire(signal);
    await gate.acquire(signal);
  },
  settled() {
    gate.settled?.();
    budget.settled?.();
  },
});
