import type { PrevalenceSnapshot } from '../contracts/prevalence.js';
import type { EstatePrevalenceUse } from '../contracts/watch.js';
import type { BuildBaselineOptions } from '../detect/baseline.js';
import { readPrevalence, type PrevalenceDeps } from './prevalence-reader.js';

export interface EstateUse {
  snapshot?: PrevalenceSnapshot;
  /** The read's id in the prevalence store when the watch's baseline can reference it instead of embedding it. */
  storedAs?: string;
  use: EstatePrevalenceUse;
}

/**
 * Per source that can aggregate, the estate prevalence read that ended before the block: a kept read when a recent
 * one exists, else one read now over the window ending at the block. The read is pinned for the watch, so its
 * baseline references it while the watch is active. Without one the watch goes on with its own hosts' prevalence,
 * and its coverage says why.
 */
export async function estatePrevalence(
  deps: PrevalenceDeps,
  sourceIds: readonly string[],
  blockedAt: number,
  watchId: string,
): Promise<Map<string, EstateUse>> {
  const uses = new Map<string, EstateUse>();
  const { prevalence, policy } = deps.baselines;
  if (!policy.prevalence.enabled) return uses;
  for (const sourceId of sourceIds) {
    if (!deps.connectors.get(sourceId)?.fetchPrevalence) continue;
    try {
      const snapshot =
        (await prevalence.forBlock(sourceId, blockedAt, 2 * policy.prevalence.refreshEveryMs)) ??
        (await readPrevalence(deps, sourceId, new Date(blockedAt)));
      const storedAs = await prevalence.pin(snapshot, watchId);
      uses.set(sourceId, {
        snapshot,
        ...(storedAs !== undefined && { storedAs }),
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

/** The reads a baseline references by id, and those it must embed (not stored under an id). */
export function estateOfBaseline(uses: ReadonlyMap<string, EstateUse>): Pick<BuildBaselineOptions, 'estate' | 'estateReads'> {
  const estate: PrevalenceSnapshot[] = [];
  const estateReads: { id: string; read: PrevalenceSnapshot }[] = [];
  for (const { snapshot, storedAs } of uses.values()) {
    if (!snapshot) continue;
    if (storedAs === undefined) estate.push(snapshot);
    else estateReads.push({ id: storedAs, read: snapshot });
  }
  return { estate, estateReads };
}
