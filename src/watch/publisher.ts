import type { Reporter } from '../report/reporter.js';
import type { FindingStore } from '../stores/finding-store.js';
import type { WatchStore } from '../stores/watch-store.js';
import type { WatchViews } from './watch-view.js';

export interface PublisherDeps {
  store: Pick<WatchStore, 'get'>;
  findings: Pick<FindingStore, 'list' | 'unpublished' | 'get' | 'markPublished'>;
  views: Pick<WatchViews, 'build'>;
  reporter: Reporter;
}

/**
 * Brings the reporter up to date with a watch: the status message, then every finding whose stored
 * version is newer than what was last published. Safe to run any number of times.
 */
export async function syncWatch(deps: PublisherDeps, watchId: string): Promise<void> {
  const watch = await deps.store.get(watchId);
  if (!watch) return;
  const view = await deps.views.build(watch);
  await deps.reporter.publishStatus(view);
  await publishPendingFindings(deps, watchId, view);
}

export async function publishVerdict(deps: PublisherDeps, watchId: string): Promise<void> {
  const watch = await deps.store.get(watchId);
  if (!watch || watch.state !== 'closed') return;
  const findings = await deps.findings.list(watchId);
  const view = await deps.views.build(watch, findings);
  await publishPendingFindings(deps, watchId, view);
  await deps.reporter.publishVerdict(view, findings);
}

async function publishPendingFindings(
  deps: PublisherDeps,
  watchId: string,
  view: Awaited<ReturnType<WatchViews['build']>>,
): Promise<void> {
  for (const findingId of await deps.findings.unpublished(watchId)) {
    const stored = await deps.findings.get(watchId, findingId);
    if (!stored) continue;
    await deps.reporter.publishFinding(view, stored.finding);
    await deps.findings.markPublished(watchId, findingId, stored.version);
  }
}
