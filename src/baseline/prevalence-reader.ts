import type { PrevalenceSnapshot } from '../contracts/prevalence.js';
import type { Networks } from '../detect/settings.js';
import type { Logger } from '../lib/logger.js';
import { SourceError } from '../sources/source-error.js';
import type { SourceConnector } from '../sources/types.js';
import type { BaselineServices } from './services.js';

export interface PrevalenceDeps {
  connectors: ReadonlyMap<string, SourceConnector>;
  baselines: BaselineServices;
  /** `networks.internal`: sessions known only by a source IP count from these ranges alone. */
  detection: { networks: Pick<Networks, 'internal'> };
  logger: Logger;
}

/**
 * Reads one source's estate-wide prevalence over the configured window ending at `to`, and keeps it. A failure is
 * recorded on the source's status (shown on watches) and thrown, so the job retries with backoff.
 */
export async function readPrevalence(deps: PrevalenceDeps, sourceId: string, to: Date): Promise<PrevalenceSnapshot> {
  const connector = deps.connectors.get(sourceId);
  if (!connector?.fetchPrevalence) throw new SourceError('terminal', sourceId, 'this source cannot aggregate prevalence');
  const { windowMs, maxDestinations, minDestinationHosts } = deps.baselines.policy.prevalence;
  const from = new Date(to.getTime() - windowMs);
  try {
    const hostNetworks = deps.detection.networks.internal;
    const answer = await connector.fetchPrevalence({ from, to, maxDestinations, minDestinationHosts, hostNetworks });
    const snapshot: PrevalenceSnapshot = {
      version: 1,
      source: sourceId,
      from: from.toISOString(),
      to: to.toISOString(),
      refreshed_at: new Date().toISOString(),
      ...answer,
    };
    await deps.baselines.prevalence.save(snapshot);
    deps.logger.info(
      { source: sourceId, hosts: answer.host_count, ports: answer.ports.length, destinations: answer.destinations.length, partial: answer.partial },
      'estate prevalence read',
    );
    return snapshot;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await deps.baselines.prevalence.recordFailure(sourceId, new Date().toISOString(), message);
    deps.logger.warn({ source: sourceId, err: message }, 'estate prevalence read failed');
    throw error;
  }
}

/**
 * The scheduled refresh: a read ending now, unless one finished within half the refresh interval (every worker
 * upserts the schedule at start, and a restart must not re-run a multi-minute aggregate).
 */
export async function refreshPrevalence(deps: PrevalenceDeps, sourceId: string): Promise<void> {
  const [latest] = await deps.baselines.prevalence.list(sourceId);
  if (latest && Date.now() - Date.parse(latest.refreshed_at) < deps.baselines.policy.prevalence.refreshEveryMs / 2) return;
  await readPrevalence(deps, sourceId, new Date());
}
