import { estateOfBaseline, estatePrevalence, type EstateUse } from '../baseline/estate-prevalence.js';
import { formatDuration } from '../contracts/duration.js';
import { readHostRows, type HostRows } from '../baseline/host-rows.js';
import type { Watch } from '../contracts/watch.js';
import { buildBaseline } from '../detect/baseline.js';
import { createHostMatcher, hostKey, hostLabel, primaryIdentifier } from '../contracts/host-identity.js';
import type { BaselineServices } from '../baseline/services.js';
import type { DetectionSettings } from '../detect/settings.js';
import type { Logger } from '../lib/logger.js';
import { SourceError } from '../sources/source-error.js';
import type { HostRef, SourceConnector } from '../sources/types.js';
import type { WatchStore } from '../stores/watch-store.js';
import type { LifecycleScheduler } from './lifecycle-scheduler.js';
import { emptyHealth } from '../rules/source-health.js';

const HOUR = 3_600_000;

/** Who keeps a source polled: its active watches, read from the store. */
export interface SourcePollsDeps {
  store: Pick<WatchStore, 'getMany' | 'watchIdsOfSource'>;
  scheduler: Pick<LifecycleScheduler, 'schedulePolls'>;
}

export interface BaselineTakerDeps extends SourcePollsDeps {
  store: WatchStore;
  connectors: ReadonlyMap<string, SourceConnector>;
  baselines: BaselineServices;
  detection: DetectionSettings;
  scheduler: Pick<LifecycleScheduler, 'closeAt' | 'schedulePolls' | 'sync'>;
  logger: Logger;
}

interface TimeRange {
  from: Date;
  to: Date;
}

/** What one source said about the watch's hosts before the block. */
interface SourceBaseline extends Omit<HostRows, 'readUntil'> {
  /** Hosts the source cannot see, or sent nothing about in the whole baseline window, with the reason. */
  outOfSight: { host: string; reason: string }[];
}

/**
 * Takes the baseline of every host of a watch from every source of the watch: the hosts' network history
 * in the baseline window before the block. Transient source failures are thrown so the job retries;
 * on the last attempt (or a terminal error) the watch goes on without that source's baseline and the
 * coverage says so.
 */
export async function takeBaseline(deps: BaselineTakerDeps, watchId: string, lastAttempt: boolean): Promise<void> {
  const watch = await deps.store.get(watchId);
  if (!watch || watch.state === 'closed') return;
  const blockedAt = Date.parse(watch.blocked_at);
  const range = { from: new Date(blockedAt - watch.baseline_ms), to: new Date(blockedAt) };

  const read = new Map<string, SourceBaseline>();
  const failures = new Map<string, SourceError>();
  for (const sourceId of watch.sources) {
    const connector = deps.connectors.get(sourceId);
    try {
      if (!connector) throw new SourceError('terminal', sourceId, 'source is no longer configured');
      read.set(sourceId, await readSourceBaseline(deps, connector, watch, range));
    } catch (error) {
      const sourceError = error instanceof SourceError ? error : new SourceError('retryable', sourceId, String(error), { cause: error });
      if (sourceError.kind !== 'terminal' && !lastAttempt) throw sourceError;
      failures.set(sourceId, sourceError);
    }
  }

  const entries = [...read.values()].flatMap((source) => source.entries);
  const estate = await estatePrevalence(deps, watch.sources, blockedAt, watch.id);
  // Rows to a blocked indicator are left out: the implant's own beacon before the block is not "normal".
  const snapshot = buildBaseline(entries, watch.hosts, deps.detection, {
    blocked: watch.blocked,
    window: { from: range.from.getTime(), to: range.to.getTime() },
    ...estateOfBaseline(estate),
  });
  await deps.store.saveBaseline(watch.id, snapshot);
  const takenAt = new Date().toISOString();
  // Coverage first: a watch is never seen watching without the coverage its baseline found.
  await recordCoverage(deps, watch.id, { read, failures, estate }, range, takenAt);
  const updated = await markBaselined(deps, watch, takenAt, failures.size === watch.sources.length);
  if (!updated) return;

  deps.logger.info(
    { watch_id: watch.id, incident_id: watch.incident_id, entries: entries.length, failed_sources: [...failures.keys()] },
    'baseline taken',
  );
  await deps.scheduler.closeAt(updated.id, new Date(updated.expires_at));
  await scheduleSourcePolls(deps, updated.sources);
  await deps.scheduler.sync(updated.id);
}

async function readSourceBaseline(deps: BaselineTakerDeps, connector: SourceConnector, watch: Watch, range: TimeRange): Promise<SourceBaseline> {
  const hosts: HostRef[] = watch.hosts.map(({ hostname, ip, edr_id }) => ({ hostname, ip, edr_id }));
  const outOfSight: SourceBaseline['outOfSight'] = [];
  if (connector.resolveHosts) {
    for (const visibility of await connector.resolveHosts(hosts)) {
      if (!visibility.visible) {
        const host = visibility.host;
        outOfSight.push({ host: primaryIdentifier(host) ?? '?', reason: visibility.reason ?? 'unknown to this source' });
      }
    }
  }
  const rows = await readHostRows(deps.baselines, connector, watch.hosts, range);

  // A host the source knows but sent nothing about for the whole baseline window is as blind as an unknown one; one
  // it last heard long before the block (agent broken, host off) may well stay silent through the window.
  const matchHost = createHostMatcher(watch.hosts);
  const lastHeard = new Map<string, number>();
  for (const entry of rows.entries) {
    const host = matchHost.byRef({ hostname: entry.host, ip: entry.host });
    if (host) lastHeard.set(hostLabel(host), Math.max(lastHeard.get(hostLabel(host)) ?? 0, entry.last_seen));
  }
  const named = new Set(outOfSight.map((entry) => entry.host));
  for (const host of watch.hosts) {
    const label = hostLabel(host);
    if (named.has(label)) continue;
    const heard = lastHeard.get(label);
    if (heard === undefined) {
      outOfSight.push({ host: label, reason: 'no telemetry from this source in the baseline window' });
      continue;
    }
    const until = rows.readUntil.get(label);
    const quiet = (until ?? range.to.getTime()) - heard;
    if (quiet > deps.baselines.policy.staleAfterMs) {
      const before = until === undefined ? 'the block' : 'the end of its reused baseline';
      outOfSight.push({
        host: label,
        reason: `last telemetry from this source ${new Date(heard).toISOString()}, ${formatDuration(Math.round(quiet / HOUR) * HOUR)} before ${before}`,
      });
    }
  }
  return { entries: rows.entries, reused: rows.reused, outOfSight };
}

async function markBaselined(deps: BaselineTakerDeps, watch: Watch, takenAt: string, allFailed: boolean): Promise<Watch | undefined> {
  const baselined = new Set(watch.hosts.map(hostKey));
  const updated = await deps.store.update(watch.id, (current) => {
    if (current.state === 'closed') return undefined;
    current.hosts = current.hosts.map((host) =>
      baselined.has(hostKey(host)) ? { ...host, baseline: allFailed ? 'unavailable' : 'ready' } : host,
    );
    current.baseline_taken_at = takenAt;
    if (current.state === 'baseline') current.state = 'watching';
    return current;
  });
  return updated && updated.state !== 'closed' ? updated : undefined;
}

async function recordCoverage(
  deps: BaselineTakerDeps,
  watchId: string,
  outcome: {
    read: ReadonlyMap<string, SourceBaseline>;
    failures: ReadonlyMap<string, SourceError>;
    estate: ReadonlyMap<string, EstateUse>;
  },
  range: TimeRange,
  takenAt: string,
): Promise<void> {
  const { read, failures, estate } = outcome;
  for (const [sourceId, source] of read) {
    const health = (await deps.store.sourceHealthOf(watchId, sourceId)) ?? emptyHealth(sourceId);
    const notes = deps.connectors.get(sourceId)?.coverageNotes;
    const prevalence = estate.get(sourceId)?.use;
    await deps.store.saveSourceHealth(watchId, {
      ...health,
      hosts_invisible: source.outOfSight,
      ...(notes && { notes }),
      ...(source.reused.length > 0 && { baseline_reused: source.reused }),
      ...(prevalence && { prevalence }),
    });
  }
  for (const [sourceId, error] of failures) {
    const health = (await deps.store.sourceHealthOf(watchId, sourceId)) ?? emptyHealth(sourceId);
    const reason = `baseline unavailable: ${error.message}`;
    const prevalence = estate.get(sourceId)?.use;
    await deps.store.saveSourceHealth(watchId, {
      ...health,
      ...(prevalence && { prevalence }),
      last_error_at: takenAt,
      last_error: reason,
      gaps: [...health.gaps, { from: range.from.toISOString(), to: range.to.toISOString(), reason }],
    });
  }
}

/** Keeps one poll scheduler per source at the shortest interval of its active watches, none when idle. */
export async function scheduleSourcePolls(deps: SourcePollsDeps, sourceIds: readonly string[]): Promise<void> {
  for (const sourceId of sourceIds) {
    const watches = await deps.store.getMany(await deps.store.watchIdsOfSource(sourceId));
    const intervals = watches.filter((watch) => watch.state === 'watching').map((watch) => watch.poll_interval_ms);
    await deps.scheduler.schedulePolls(sourceId, intervals.length ? Math.min(...intervals) : undefined);
  }
}
