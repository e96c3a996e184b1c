import type { WatchRuntime } from './runtime.js';

/**
 * Brings the reporter up to date with a watch: the status message, then every finding whose stored
 * version is newer than what was last published. Safe to run any number of times.
 */
export async function syncWatch(runtime: WatchRuntime, watchId: string): Promise<void> {
  const watch = await runtime.store.get(watchId);
  if (!watch) return;
  const view = await runtime.views.build(watch);
  await runtime.reporter.publishStatus(view);
  await publishPendingFindings(runtime, watchId, view);
}

export async function publishVerdict(runtime: WatchRuntime, watchId: string): Promise<void> {
  const watch = await runtime.store.get(watchId);
  if (!watch || watch.state !== 'closed') return;
  const findings = await runtime.findings.list(watchId);
  const view = await runtime.views.build(watch, findings);
  await publishPendingFindings(runtime, watchId, view);
  await runtime.reporter.publishVerdict(view, findings);
}

async function publishPendingFindings(
  runtime: WatchRuntime,
  watchId: string,
  view: Awaited<ReturnType<WatchRuntime['views']['build']>>,
): Promise<void> {
  for (const findingId of await runtime.findings.unpublished(watchId)) {
    const stored = await runtime.findings.get(watchId, findingId);
    if (!stored) continue;
    await runtime.reporter.publishFinding(view, stored.finding);
    await runtime.findings.markPublished(watchId, findingId, stored.version);
  }
}
