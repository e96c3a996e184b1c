import type { BaselineEntry } from '../contracts/connection-event.js';
import { buildBaseline } from '../detect/baseline.js';
import { SourceError } from '../sources/source-error.js';
import type { WatchRuntime } from './runtime.js';
import { hostKey } from './host-key.js';
import { emptyHealth } from './source-health.js';

/**
 * Takes the baseline of every host of a watch from every source of the watch: the hosts' network history
 * in the baseline window before the block. Transient source failures are thrown so the job retries;
 * on the last attempt (or a terminal error) the watch goes on without that source's baseline and the
 * coverage says so.
 */
export async function takeBaseline(runtime: WatchRuntime, watchId: string, lastAttempt: boolean): Promise<void> {
  const watch = await runtime.store.get(watchId);
  if (!watch || watch.state === 'closed') return;
  const blockedAt = Date.parse(watch.blocked_at);
  const range = { from: new Date(blockedAt - watch.baseline_ms), to: new Date(blockedAt) };
  const hosts = watch.hosts.map(({ hostname, ip, edr_id }) => ({ hostname, ip, edr_id }));

  const entries: BaselineEntry[] = [];
  const failures = new Map<string, SourceError>();
  const invisible = new Map<string, { host: string; reason: string }[]>();
  for (const sourceId of watch.sources) {
    const connector = runtime.connectors.get(sourceId);
    if (!connector) {
      failures.set(sourceId, new SourceError('terminal', sourceId, 'source is no longer configured'));
      continue;
    }
    try {
      if (connector.resolveHosts) {
        const visibility = await connector.resolveHosts(hosts);
        invisible.set(
          sourceId,
          visibility
            .filter((entry) => !entry.visible)
            .map((entry) => ({ host: entry.host.hostname ?? entry.host.ip ?? entry.host.edr_id ?? '?', reason: entry.reason ?? 'unknown to this source' })),
        );
      }
      for (let start = 0; start < hosts.length; start += connector.maxHostsPerQuery) {
        entries.push(...(await connector.fetchBaseline({ ...range, hosts: hosts.slice(start, start + connector.maxHostsPerQuery) })));
      }
    } catch (error) {
      const sourceError = error instanceof SourceError ? error : new SourceError('retryable', sourceId, String(error), { cause: error });
      if (sourceError.kind !== 'terminal' && !lastAttempt) throw sourceError;
      failures.set(sourceId, sourceError);
    }
  }

  // Rows to a blocked indicator are left out: the implant's own beacon before the block is not "normal".
  const snapshot = buildBaseline(entries, watch.hosts, runtime.detection, {
    blocked: watch.blocked,
    window: { from: range.from.getTime(), to: range.to.getTime() },
  });
  await runtime.store.saveBaseline(watch.id, JSON.stringify(snapshot));
  const takenAt = new Date().toISOString();
  const allFailed = failures.size === watch.sources.length;
  const updated = await runtime.store.update(watch.id, (current) => {
    if (current.state === 'closed') return undefined;
    const baselined = new Set(hosts.map(hostKey));
    current.hosts = current.hosts.map((host) =>
      baselined.has(hostKey(host))
        ? { ...host, baseline: allFailed ? 'unavailable' : 'ready' }
        : host,
    );
    current.baseline_taken_at = takenAt;
    if (current.state === 'baseline') current.state = 'watching';
    return current;
  });
  if (!updated || updated.state === 'closed') return;

  for (const [sourceId, hostsOutOfSight] of invisible) {
    const health = (await runtime.store.sourceHealthOf(watch.id, sourceId)) ?? emptyHealth(sourceId);
    await runtime.store.saveSourceHealth(watch.id, { ...health, hosts_invisible: hostsOutOfSight });
  }
  for (const [sourceId, error] of failures) {
    const health = (await runtime.store.sourceHealthOf(watch.id, sourceId)) ?? emptyHealth(sourceId);
    await runtime.store.saveSourceHealth(watch.id, {
      ...health,
      last_error_at: takenAt,
      last_error: `baseline unavailable: ${error.message}`,
      gaps: [...health.gaps, { from: range.from.toISOString(), to: range.to.toISOString(), reason: `baseline unavailable: ${error.message}` }],
    });
  }
  runtime.logger.info(
    { watch_id: watch.id, incident_id: watch.incident_id, entries: entries.length, failed_sources: [...failures.keys()] },
    'baseline taken',
  );
  await runtime.queues.closeAt(updated.id, new Date(updated.expires_at));
  await scheduleSourcePolls(runtime, updated.sources);
  await runtime.queues.sync(updated.id);
}

/** Keeps one poll scheduler per source at the shortest interval of its active watches, none when idle. */
export async function scheduleSourcePolls(runtime: WatchRuntime, sourceIds: readonly string[]): Promise<void> {
  for (const sourceId of sourceIds) {
    const watches = await runtime.store.getMany(await runtime.store.watchIdsOfSource(sourceId));
    const intervals = watches.filter((watch) => watch.state === 'watching').map((watch) => watch.poll_interval_ms);
    await runtime.queues.schedulePolls(sourceId, intervals.length ? Math.min(...intervals) : undefined);
  }
}
