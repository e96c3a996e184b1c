import { createHash } from 'node:crypto';
import { abortableDelay } from '../http/abort.js';
import type { RequestBudget } from '../http/request-budget.js';

/** `dv/query-status` allows one call per second per API token; a little more, so timer jitter never crosses it. */
export const STATUS_INTERVAL_MS = 1_020;

/**
 * Spaces permits `intervalMs` apart. A slot is reserved synchronously, so concurrent callers queue in order
 * rather than racing for the same instant.
 */
export class IntervalGate implements RequestBudget {
  private nextAt = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const now = this.now();
    const at = Math.max(now, this.nextAt);
    this.nextAt = at + this.intervalMs;
    if (at > now) await abortableDelay(at - now, signal);
  }
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
});
