import { estateOfBaseline, estatePrevalence, type EstateUse } from '../baseline/estate-prevalence.js';
import { formatDuration } from '../contracts/duration.js';
import { readHostRowsOfWatches, type HostRows } from '../baseline/host-rows.js';
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
  scheduler: Pick<LifecycleScheduler, 'closeAt' | 'schedulePolls' | 'sync'> & PendingBaselines;
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

/** How baseline jobs find the other watches waiting for a baseline, so one read serves them all. */
export interface PendingBaselines {
  /** Watches whose baseline was asked for and not yet claimed, and when the newest of them was asked for (epoch ms). */
  pendingBaselines(): Promise<{ ids: string[]; newestAt: number | undefined }>;
  /** Takes `ids` off the pending list; returns those this call took (another job may have taken the others). */
  claimBaselines(ids: readonly string[]): Promise<string[]>;
  /** Lists `ids` as pending again: their baseline was not taken after all. */
  releaseBaselines(ids: readonly string[]): Promise<void>;
  /** Polls the source at least every `everyMs`: a faster scheduler stays as it is. */
  schedulePollsAtMost(sourceId: string, everyMs: number): Promise<void>;
}

/** Requests for baselines arriving this close together are read together; a lone one waits this long for company. */
const COLLECT_QUIET_MS = 200;
/** A stream of requests that never goes quiet is read in rounds at least this often. */
const COLLECT_MAX_MS = 2_000;
/** At most this many watches' baselines are read in one round (one job's work stays bounded). */
const MAX_WATCHES_PER_ROUND = 200;
/** How long a job waits for another job that claimed its watch to take its baseline before taking it itself. */
const CLAIMED_ELSEWHERE_WAIT_MS = 30_000;
const CLAIM_RECHECK_MS = 200;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const needsBaseline = (watch: Watch) => watch.state !== 'closed' && (watch.state === 'baseline' || watch.hosts.some((host) => host.baseline === 'pending'));

const rangeOf = (watch: Watch): TimeRange => {
  const blockedAt = Date.parse(watch.blocked_at);
  return { from: new Date(blockedAt - watch.baseline_ms), to: new Date(blockedAt) };
};

/** Watches that can share reads: the same sources over the same window (an aggregate over another window differs). */
const readGroupOf = (watch: Watch): string => {
  const range = rangeOf(watch);
  return JSON.stringify([[...watch.sources].sort(), range.from.getTime(), range.to.getTime()]);
};

/** Rounds of one read group run one at a time in this process, so its concurrent jobs do not read the same hosts. */
const roundsInProgress = new Map<string, Promise<void>>();

async function oneRoundAtATime(group: string, round: () => Promise<void>): Promise<void> {
  const before = roundsInProgress.get(group) ?? Promise.resolve();
  const mine = before.catch(() => undefined).then(round);
  const settled = mine.catch(() => undefined);
  roundsInProgress.set(group, settled);
  try {
    await mine;
  } finally {
    if (roundsInProgress.get(group) === settled) roundsInProgress.delete(group);
  }
}

/**
 * Takes the baseline of every host of a watch from every source of the watch: the hosts' network history
 * in the baseline window before the block. Transient source failures are thrown so the job retries;
 * on the last attempt (or a terminal error) the watch goes on without that source's baseline and the
 * coverage says so.
 *
 * Other watches waiting for a baseline of the same sources and window are taken along: their hosts are read in the
 * same batches of the source's host limit, and each gets its own snapshot. Their own jobs then find them baselined.
 * A watch another job has claimed is left to it for a while; if it is released or not done by then, it is taken here.
 */
export async function takeBaseline(deps: BaselineTakerDeps, watchId: string, lastAttempt: boolean): Promise<void> {
  const first = await deps.store.get(watchId);
  if (!first || !needsBaseline(first)) return;
  await oneRoundAtATime(readGroupOf(first), async () => {
    const watch = await deps.store.get(watchId);
    if (!watch || !needsBaseline(watch)) return;
    if (!(await claimOwnWatch(deps, watch))) return;
    const others = await claimOthers(deps, watch);
    const unfinished = new Set([watch.id, ...others.map((other) => other.id)]);
    try {
      await baselineRound(deps, watch, others, lastAttempt, unfinished);
    } finally {
      await deps.scheduler.releaseBaselines([...unfinished]);
    }
  });
}

/** True once this job holds its watch; false when another job took the baseline meanwhile. */
async function claimOwnWatch(deps: BaselineTakerDeps, watch: Watch): Promise<boolean> {
  const deadline = Date.now() + CLAIMED_ELSEWHERE_WAIT_MS;
  for (;;) {
    if ((await deps.scheduler.claimBaselines([watch.id])).length > 0) return true;
    const current = await deps.store.get(watch.id);
    if (!current || !needsBaseline(current)) return false;
    // Claimed by a job that died, or listed before pending baselines were: taken here after all.
    if (Date.now() >= deadline) return true;
    await sleep(CLAIM_RECHECK_MS);
  }
}

/** Waits for requests to stop arriving (briefly), then claims the pending watches that can share the lead's reads. */
async function claimOthers(deps: BaselineTakerDeps, lead: Watch): Promise<Watch[]> {
  const collectUntil = Date.now() + COLLECT_MAX_MS;
  let pending = await deps.scheduler.pendingBaselines();
  for (;;) {
    const quietAt = (pending.newestAt ?? 0) + COLLECT_QUIET_MS;
    if (quietAt <= Date.now() || Date.now() >= collectUntil) break;
    await sleep(Math.min(quietAt, collectUntil) - Date.now());
    pending = await deps.scheduler.pendingBaselines();
  }
  const group = readGroupOf(lead);
  const listed = await deps.store.getMany(pending.ids.filter((id) => id !== lead.id));
  const found = new Set(listed.map((watch) => watch.id));
  const done = [...pending.ids.filter((id) => id !== lead.id && !found.has(id)), ...listed.filter((watch) => !needsBaseline(watch)).map((watch) => watch.id)];
  const wanted = listed.filter((watch) => needsBaseline(watch) && readGroupOf(watch) === group).slice(0, MAX_WATCHES_PER_ROUND - 1);
  const claimed = new Set(await deps.scheduler.claimBaselines([...wanted.map((watch) => watch.id), ...done]));
  return wanted.filter((watch) => claimed.has(watch.id));
}

/**
 * Reads every source of the group once for all its watches, then finishes each watch. A transient failure of a
 * source fails the lead's job (so it retries) and leaves the others to their own jobs and attempts; on the lead's
 * last attempt, the lead alone goes on without that source.
 */
async function baselineRound(deps: BaselineTakerDeps, lead: Watch, others: Watch[], lastAttempt: boolean, unfinished: Set<string>): Promise<void> {
  let members = [lead, ...others];
  const range = rangeOf(lead);
  const read = new Map<string, SourceBaseline[]>();
  const failures = new Map<string, SourceError>();
  for (const sourceId of lead.sources) {
    const connector = deps.connectors.get(sourceId);
    try {
      if (!connector) throw new SourceError('terminal', sourceId, 'source is no longer configured');
      read.set(sourceId, await readSourceBaselines(deps, connector, members, range));
    } catch (error) {
      const sourceError = error instanceof SourceError ? error : new SourceError('retryable', sourceId, String(error), { cause: error });
      if (sourceError.kind !== 'terminal') {
        if (!lastAttempt) throw sourceError;
        members = [lead];
      }
      failures.set(sourceId, sourceError);
    }
  }
  for (const [index, watch] of members.entries()) {
    const own = new Map<string, SourceBaseline>();
    for (const sourceId of watch.sources) {
      const source = read.get(sourceId)?.[index];
      if (source) own.set(sourceId, source);
    }
    await finishBaseline(deps, watch, range, own, failures);
    unfinished.delete(watch.id);
  }
}

/** Saves the watch's snapshot and coverage, and starts watching. */
async function finishBaseline(
  deps: BaselineTakerDeps,
  watch: Watch,
  range: TimeRange,
  read: ReadonlyMap<string, SourceBaseline>,
  failures: ReadonlyMap<string, SourceError>,
): Promise<void> {
  const blockedAt = range.to.getTime();
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
  for (const sourceId of updated.sources) await deps.scheduler.schedulePollsAtMost(sourceId, updated.poll_interval_ms);
  await deps.scheduler.sync(updated.id);
}

/** What one source said about each watch's hosts before their common block: one read for all of them. */
async function readSourceBaselines(deps: BaselineTakerDeps, connector: SourceConnector, watches: readonly Watch[], range: TimeRange): Promise<SourceBaseline[]> {
  const unique = new Map<string, HostRef>();
  for (const watch of watches) {
    for (const { hostname, ip, edr_id } of watch.hosts) {
      const key = hostKey({ hostname, ip, edr_id });
      if (!unique.has(key)) unique.set(key, { hostname, ip, edr_id });
    }
  }
  const unseen = connector.resolveHosts ? (await connector.resolveHosts([...unique.values()])).filter((visibility) => !visibility.visible) : [];
  const rows = await readHostRowsOfWatches(
    deps.baselines,
    connector,
    watches.map((watch) => watch.hosts),
    range,
  );
  return watches.map((watch, index) => {
    const own = new Set(watch.hosts.map(hostKey));
    const outOfSight = unseen
      .filter((visibility) => own.has(hostKey(visibility.host)))
      .map((visibility) => ({ host: primaryIdentifier(visibility.host) ?? '?', reason: visibility.reason ?? 'unknown to this source' }));
    return sourceBaselineOf(deps, watch, rows[index] as HostRows, outOfSight, range);
  });
}

function sourceBaselineOf(deps: BaselineTakerDeps, watch: Watch, rows: HostRows, outOfSight: SourceBaseline['outOfSight'], range: TimeRange): SourceBaseline {
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
