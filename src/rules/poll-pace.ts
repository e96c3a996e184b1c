/**
 * The share of a source's request budget that scheduled polls may use: the rest is kept for baselines, closes' final
 * looks and estate reads, which would otherwise queue behind every poll.
 */
export const POLL_BUDGET_SHARE = 0.8;

/**
 * How often a source can be polled when one poll takes `queriesPerPoll` queries and the vendor admits
 * `budgetPerMinute`: the asked interval when the budget allows it, else the shortest whole-second interval that stays
 * within the polls' share. Polling at the asked pace anyway would only queue reads behind the budget, each tick later
 * than the last, with nothing to show for it.
 */
export function pollIntervalWithin(askedMs: number, queriesPerPoll: number, budgetPerMinute: number | undefined): number {
  if (budgetPerMinute === undefined || queriesPerPoll === 0) return askedMs;
  const neededMs = Math.ceil((queriesPerPoll * 60_000) / (budgetPerMinute * POLL_BUDGET_SHARE) / 1_000) * 1_000;
  return Math.max(askedMs, neededMs);
}
