import type { PrevalenceSnapshot } from '../contracts/prevalence.js';
import type { EstatePrevalenceUse } from '../contracts/watch.js';
import { readPrevalence, type PrevalenceDeps } from './prevalence-reader.js';

export interface EstateUse {
  snapshot?: PrevalenceSnapshot;
  use: EstatePrevalenceUse;
}

/**
 * Per source that can aggregate, the estate prevalence read that ended before the block: a kept read when a recent
 * one exists, else one read now over the window ending at the block. Without one the watch goes on with its own
 * hosts' prevalence, and its coverage says why.
 */
export async function estatePrevalence(deps: PrevalenceDeps, sourceIds: readonly string[], blockedAt: number): Promise<Map<string, EstateUse>> {
  const uses = new Map<string, EstateUse>();
  const { prevalence, policy } = deps.baselines;
  if (!policy.prevalence.enabled) return uses;
  for (const sourceId of sourceIds) {
    if (!deps.connectors.get(sourceId)?.fetchPrevalence) continue;
    try {
      const snapshot =
        (await prevalence.forBlock(sourceId, blockedAt, 2 * policy.prevalence.refreshEveryMs)) ??
        (await readPrevalence(deps, sourceId, new Date(blockedAt)));
      uses.set(sourceId, {
        snapshot,
        use: {
          status: 'used',
          host_count: snapshot.host_count,
          from: snapshot.from,
          to: snapshot.to,
          refreshed_at: snapshot.refreshed_at,
          partial: snapshot.partial,
        },
      });
    } catch (error) {
      const reason = `estate prevalence unavailable (${error instanceof Error ? error.message : String(error)}); uncommon ports are judged on the watched hosts alone`;
      uses.set(sourceId, { use: { status: 'unavailable', reason } });
    }
  }
  return uses;
}
