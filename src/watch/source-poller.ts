import type { ConnectionEvent } from '../contracts/connection-event.js';
import type { SourceHealth, Watch, WatchedHost } from '../contracts/watch.js';
import { judgeBeacons, type ObservedEvent } from '../detect/beacon-tracker.js';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../lib/keys.js';
import { holdLeases } from '../lib/lock.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { PollPace, SourcePause } from '../contracts/watch.js';
import { SourceError } from '../sources/source-error.js';
import type { HostRef, SourceConnector, TimeRangeQuery } from '../sources/types.js';
import { repairedStringsOf } from '../sources/well-formed.js';
import { lateWindowOf, rememberLateArrival } from '../rules/catch-up.js';
import { DetectorCache, type DetectorCacheDeps, type WatchDetector } from './detector-cache.js';
import { routeEvents, type RoutedEvent } from './host-index.js';
import type { ApplyResult, AssessedEvent, FindingStore } from '../stores/finding-store.js';
import { PollMemory } from './poll-memory.js';
import { DecodedMemo } from '../stores/decoded-memo.js';
import { closeGap, emptyHealth, HEALTH_REFRESH_POLLS, healthNeedsRecording, recordGap } from '../rules/source-health.js';
import { hostKey, primaryIdentifier } from '../contracts/host-identity.js';
import { quietHosts } from '../rules/quiet-hosts.js';
import { RedisBeaconHistory } from '../stores/redis-beacon-history.js';
import { SourceFaults, type SourceFault } from '../stores/source-faults.js';
import { BatchedReads } from '../stores/batched-reads.js';
import { PollPaceStore } from '../stores/poll-pace-store.js';
import type { HeardTimeline } from '../stores/heard-timeline.js';
import type { WatchStore } from '../stores/watch-store.js';
import type { LifecycleScheduler } from './lifecycle-scheduler.js';

export interface SourcePollerDeps extends DetectorCacheDeps {
  redis: Redis;
  keys: RedisKeys;
  store: WatchStore;
  findings: FindingStore;
  /** When each watched host was heard from, minute by minute: mid-window blindness. */
  heard: HeardTimeline;
  connectors: ReadonlyMap<string, SourceConnector>;
  scheduler: Pick<LifecycleScheduler, 'sync'>;
  logger: Logger;
  metrics: Metrics;
  /** Shards a whole poll in this process (`tick`) runs side by side. Default: a worker's job concurrency, 4. */
  shardConcurrency?: number;
  /** In how many polls a watch's source health is written at least once while they bring nothing new. Default `HEALTH_REFRESH_POLLS`. */
  healthRefreshPolls?: number;
}

const DEFAULT_SHARD_CONCURRENCY = 4;

export type PollOutcome = 'polled' | 'idle' | 'busy' | 'failed' | 'paused';

/** How often a source paused by a terminal failure is tried again, unless configured. */
export const DEFAULT_REPROBE_MS = 5 * 60_000;

/** What one watch asks of a poll: which hosts, read from when. */
interface WatchPlan {
  watch: Watch;
  health: SourceHealth;
  hosts: WatchedHost[];
  /** Per host key: the earliest event time still to be judged for that host. */
  readFrom: Map<string, number>;
  /** Per host key, for hosts the watch's last successful read of the source covered: where that read ended. */
  coveredUntil: Map<string, number>;
  from: number;
  until: number;
}

/** Renewed while a poll runs: a worker that dies mid-poll holds its watches up for at most this long. */
const POLL_LEASE_MS = 30_000;
/** A detector this worker has not used for this long is dropped (it is compiled again if its watch comes back). */
const DETECTOR_IDLE_MS = 10 * 60_000;
/** A scheduled poll's outcome from its shards': one that failed, else one that polled, and so on. */
const TICK_OUTCOME_ORDER: readonly PollOutcome[] = ['failed', 'polled', 'paused', 'busy', 'idle'];
/** A close's look is incomplete while a shard could not take its watches: it is tried again. */
const LOOK_OUTCOME_ORDER: readonly PollOutcome[] = ['busy', 'failed', 'polled', 'paused', 'idle'];

/** The watches one poll job takes. */
export interface PollShard {
  watchIds: string[];
  /** Hosts the shard reads (each once). */
  hosts: number;
}
/** Decoded watch records (and, apart, source health records) a worker keeps: about its share of a large estate's watches. */
const DECODED_RECORDS_KEPT = 20_000;
/** Beacon histories outlive the watch's expiry by this much, so the closing poll and a late retry still see them. */
const BEACON_HISTORY_GRACE_MS = 24 * 3_600_000;

/**
 * One coalesced poll of one source: a query per batch of `maxHostsPerQuery` hosts covers every watching
 * host of every active watch on the source; the events then fan out to the watches they belong to.
 */
export class SourcePoller {
  private readonly detectors: DetectorCache;
  private readonly faults: SourceFaults;
  private readonly paces: PollPaceStore;
  /** When this worker last polled each watch, least recent first (a Map keeps insertion order; a use re-inserts). */
  private readonly lastUsed = new Map<string, number>();
  /** Per source, the watches this worker's last planning of a scheduled poll found to poll. */
  private readonly plannedBySource = new Map<string, ReadonlySet<string>>();
  /** What this worker remembers of each detector's polls (see `PollMemory`); a rebuilt detector starts afresh. */
  private readonly memories = new WeakMap<WatchDetector, PollMemory>();
  /** Watch records and source health as last decoded: a tick re-reads them all, mostly unchanged. */
  private readonly watchRecords = new DecodedMemo<Watch>(DECODED_RECORDS_KEPT);
  private readonly healthRecords = new DecodedMemo<SourceHealth>(DECODED_RECORDS_KEPT);

  /** `reprobeMs`: per source, how often it is tried while a terminal failure pauses it (default 5 min). */
  constructor(
    private readonly deps: SourcePollerDeps,
    private readonly reprobeMs: ReadonlyMap<string, number> = new Map(),
  ) {
    this.detectors = new DetectorCache(deps);
    this.faults = new SourceFaults(deps.redis, deps.keys);
    this.paces = new PollPaceStore(deps.redis, deps.keys);
  }

  /**
   * A whole scheduled poll in this process: every shard, `shardConcurrency` at a time. While a terminal failure (a
   * rejected credential) pauses the source, ticks are skipped until its next probe: the vendor is not hammered, and
   * the first probe that works resumes polling. A failure is recorded on the watches first, then thrown (the last one, once every shard
   * has been polled) for the job layer (`jobError`) to retry, rate-limit or give up.
   */
  async tick(sourceId: string): Promise<PollOutcome> {
    const { outcome, shards } = await this.shards(sourceId);
    if (outcome !== 'polled') return outcome;
    const { outcomes, failure } = await this.runShards(sourceId, shards, {});
    if (failure !== undefined) throw failure;
    return TICK_OUTCOME_ORDER.find((outcome) => outcomes.includes(outcome)) ?? 'idle';
  }

  /** Shards side by side, as a worker runs shard jobs: one shard's Redis round trips overlap another's vendor read. */
  private async runShards(sourceId: string, shards: readonly PollShard[], options: RunOptions): Promise<{ outcomes: PollOutcome[]; failure?: SourceError }> {
    const outcomes: PollOutcome[] = [];
    let failure: SourceError | undefined;
    const waiting = [...shards];
    await Promise.all(
      Array.from({ length: Math.min(this.deps.shardConcurrency ?? DEFAULT_SHARD_CONCURRENCY, waiting.length) }, async () => {
        for (let shard = waiting.shift(); shard !== undefined; shard = waiting.shift()) {
          const result = await this.run(sourceId, shard.watchIds, options);
          outcomes.push(result.outcome);
          failure = result.failure ?? failure;
        }
      }),
    );
    return { outcomes, failure };
  }

  /**
   * How a scheduled poll splits into jobs any worker can take: the source's active watches in shards whose hosts fit
   * about one query each, watches whose reads start at the same time together (so an old cursor widens one read,
   * not all). `polled` when there is something to poll; `paused` while a terminal failure pauses the source.
   */
  async shards(sourceId: string, now = Date.now()): Promise<{ outcome: 'polled' | 'idle' | 'paused'; shards: PollShard[] }> {
    const { deps } = this;
    const connector = deps.connectors.get(sourceId);
    if (!connector) return { outcome: 'idle', shards: [] };
    const { plans, fault } = await this.pollState(sourceId, connector, await deps.store.watchIdsOfSource(sourceId), now);
    if (pausedBy(fault)) return { outcome: 'paused', shards: [] };
    this.notePlanned(sourceId, plans);
    if (plans.length === 0) return { outcome: 'idle', shards: [] };
    return { outcome: 'polled', shards: shardsOf(plans, connector.maxHostsPerQuery) };
  }

  /**
   * One shard of a scheduled poll. Watches another poll holds (a close's final look, an overlapping shard) are left
   * to it. A failure is recorded on the watches first, then thrown for the job layer to retry or rate-limit.
   */
  async pollShard(sourceId: string, watchIds: readonly string[]): Promise<PollOutcome> {
    const { outcome, failure } = await this.run(sourceId, watchIds, { skipWhilePaused: true });
    if (failure !== undefined) throw failure;
    return outcome;
  }

  /**
   * Polls `onlyWatchIds` (default: all its watches) of `sourceId` in one go, for a watch's final look at close: `now`
   * bounds the read (events later than a watch's expiry are not its business), and it waits `waitForSourceMs` for
   * polls holding any of the watches.
   */
  async poll(sourceId: string, options: PollOptions = {}): Promise<PollOutcome> {
    const connector = this.deps.connectors.get(sourceId);
    if (!connector) return 'idle';
    const now = options.now ?? Date.now();
    const watchIds = options.onlyWatchIds ?? (await this.deps.store.watchIdsOfSource(sourceId));
    const shards = shardsOf((await this.pollState(sourceId, connector, watchIds, now)).plans, connector.maxHostsPerQuery);
    const { outcomes } = await this.runShards(sourceId, shards, { now, waitForSourceMs: options.waitForSourceMs, all: true, final: true });
    return LOOK_OUTCOME_ORDER.find((outcome) => outcomes.includes(outcome)) ?? 'idle';
  }

  private async run(sourceId: string, watchIds: readonly string[], options: RunOptions): Promise<{ outcome: PollOutcome; failure?: SourceError }> {
    const { deps } = this;
    const connector = deps.connectors.get(sourceId);
    if (!connector || watchIds.length === 0) return { outcome: 'idle' };
    const leases = await holdLeases(
      deps.redis,
      watchIds.map((watchId) => deps.keys.watchPollLock(watchId, sourceId)),
      { ttlMs: POLL_LEASE_MS, waitMs: options.waitForSourceMs, all: options.all },
    );
    if (!leases || leases.held.length === 0) return { outcome: 'busy' };
    const leased = new Set(leases.held);
    const held = watchIds.filter((watchId) => leased.has(deps.keys.watchPollLock(watchId, sourceId)));
    let timer: (() => void) | undefined;
    try {
      // Read under the watches' leases: a poll of them that paused the source a moment ago has finished by now.
      const now = options.now ?? Date.now();
      const state = await this.pollState(sourceId, connector, held, now);
      if (options.skipWhilePaused && pausedBy(state.fault)) return { outcome: 'paused' };
      timer = deps.metrics.pollSeconds.startTimer({ source: sourceId });
      const active = state.plans.filter((plan) => plan.hosts.length > 0);
      this.noteUsed(active, now);
      if (active.length === 0) return { outcome: 'idle' };
      const failure = await this.readAndFanOut(connector, active, now, options.final === true, state.pace);
      deps.metrics.polls.inc({ source: sourceId, outcome: failure ? 'failed' : 'polled' });
      return failure ? { outcome: 'failed', failure } : { outcome: 'polled' };
    } finally {
      timer?.();
      await leases.release();
    }
  }

  /**
   * What each of `watchIds` still needs read from the source (closed, expired and not yet blocked watches need
   * nothing), and the source's pause and pace: one round trip, the watches' health read whatever their state.
   */
  private async pollState(sourceId: string, connector: SourceConnector, watchIds: readonly string[], now: number): Promise<PollState> {
    const { deps } = this;
    const batch = new BatchedReads(deps.redis);
    const readWatches = deps.store.readMany(batch, watchIds, this.watchRecords);
    const readHealths = deps.store.readSourceHealthOfMany(batch, watchIds, sourceId, this.healthRecords);
    const readFault = this.faults.read(batch, sourceId);
    const readPace = this.paces.read(batch, sourceId);
    await batch.send();
    const healthOf = new Map(readHealths().map((health, index) => [watchIds[index] as string, health]));
    const plans: WatchPlan[] = [];
    for (const watch of readWatches()) {
      if (watch.state === 'closed') {
        this.detectors.forget(watch.id);
        continue;
      }
      if (!watch.sources.includes(sourceId) || !(Date.parse(watch.blocked_at) < now)) continue;
      const plan = planOf(watch, healthOf.get(watch.id) ?? emptyHealth(sourceId), connector, now);
      if (plan !== undefined && plan.hosts.length > 0) plans.push(plan);
    }
    return { plans, fault: readFault(), pace: readPace() };
  }

  /**
   * A planned poll's watches replace the source's previous ones: a watch no source polls any more (closed, expired,
   * moved off its sources) has its detector dropped at once in this worker; other workers drop it when idle.
   */
  private notePlanned(sourceId: string, plans: readonly WatchPlan[]): void {
    const planned = new Set(plans.map((plan) => plan.watch.id));
    const before = this.plannedBySource.get(sourceId) ?? new Set<string>();
    this.plannedBySource.set(sourceId, planned);
    for (const watchId of before) {
      if (planned.has(watchId) || [...this.plannedBySource.values()].some((watchIds) => watchIds.has(watchId))) continue;
      this.lastUsed.delete(watchId);
      this.detectors.forget(watchId);
    }
  }

  /**
   * Detectors of watches this worker has not polled for `DETECTOR_IDLE_MS` are dropped: their watches closed, moved
   * off the source, or are polled by other workers now. A watch polled again is compiled again.
   */
  private noteUsed(plans: readonly WatchPlan[], now: number): void {
    for (const plan of plans) {
      this.lastUsed.delete(plan.watch.id);
      this.lastUsed.set(plan.watch.id, now);
    }
    for (const [watchId, usedAt] of this.lastUsed) {
      if (now - usedAt < DETECTOR_IDLE_MS) break;
      this.lastUsed.delete(watchId);
      this.detectors.forget(watchId);
    }
  }

  /** Returns the last failure when some batch failed (its watches keep their cursor and record the gap). */
  private async readAndFanOut(connector: SourceConnector, plans: WatchPlan[], now: number, final: boolean, slowed: PollPace | undefined): Promise<SourceError | undefined> {
    const events: ConnectionEvent[] = [];
    const failedHosts = new Set<string>();
    let lastError: SourceError | undefined;
    for (const batch of readBatches(plans, connector.maxHostsPerQuery)) {
      if (!(batch.from < batch.to)) continue;
      try {
        events.push(...(await connector.fetchConnections({ hosts: batch.hosts, from: new Date(batch.from), to: new Date(batch.to), ...coveredPart(connector, batch) })));
      } catch (error) {
        lastError = asSourceError(error, connector.id);
        for (const host of batch.hosts) failedHosts.add(hostKey(host));
        this.deps.logger.warn({ source: connector.id, code: lastError.code, kind: lastError.kind, err: lastError.message }, 'source poll failed');
      }
    }
    const paused = await this.notePause(connector.id, failedHosts.size > 0 ? lastError : undefined, now);

    const detectors = await this.detectors.forAll(plans.map((plan) => plan.watch));
    const routed = routeEvents(
      plans.map((plan, index) => ({ owner: plan, hosts: plan.hosts, match: (detectors[index] as WatchDetector).matchHost })),
      events,
    );
    await Promise.all(
      plans.map(async (plan, index) => {
        const failed = plan.hosts.some((host) => failedHosts.has(hostKey(host)));
        await this.fanOut(plan, detectors[index] as WatchDetector, routed.get(plan) ?? [], failed ? lastError : undefined, now, { paused, slowed, final });
      }),
    );
    return failedHosts.size > 0 ? lastError : undefined;
  }

  /**
   * A terminal failure pauses the source (its first-seen time kept); a poll that works lifts a pause recorded before it
   * started (not one a shard running beside it just recorded); a retryable failure of a probe says nothing about the
   * credential, so a pause stays as it was.
   */
  private async notePause(sourceId: string, failure: SourceError | undefined, now: number): Promise<SourcePause | undefined> {
    const { logger } = this.deps;
    if (failure === undefined) {
      if (await this.faults.clear(sourceId, now)) logger.info({ source: sourceId }, 'source resumed: its poll works again');
      return undefined;
    }
    if (failure.kind !== 'terminal') {
      const fault = await this.faults.get(sourceId);
      return fault && { code: fault.code, since: fault.since, next_probe_at: fault.next_probe_at };
    }
    const fault = await this.faults.record(sourceId, failure, now, this.reprobeMs.get(sourceId) ?? DEFAULT_REPROBE_MS);
    logger.warn({ source: sourceId, code: fault.code, since: fault.since, next_probe_at: fault.next_probe_at }, 'source paused: terminal failure');
    return { code: fault.code, since: fault.since, next_probe_at: fault.next_probe_at };
  }

  /**
   * Records which hosts have gone quiet on every source (or started reporting again); true when that changed, so the
   * status message shows it without waiting for a finding.
   */
  private async noteQuietHosts(watch: Watch, now: number): Promise<boolean> {
    const { deps } = this;
    if (watch.state !== 'watching') return false;
    const quiet = quietHosts(watch, await deps.store.sourceHealth(watch.id), now);
    const before = await deps.store.quietHosts(watch.id);
    if (sameHosts(quiet, before)) return false;
    await deps.store.saveQuietHosts(watch.id, quiet);
    deps.logger.info({ watch_id: watch.id, incident_id: watch.incident_id, quiet_hosts: Object.fromEntries(quiet) }, 'quiet hosts changed');
    return true;
  }

  private memoryOf(detector: WatchDetector): PollMemory {
    let memory = this.memories.get(detector);
    if (memory === undefined) {
      memory = new PollMemory();
      this.memories.set(detector, memory);
    }
    return memory;
  }

  private async fanOut(
    plan: WatchPlan,
    detector: WatchDetector,
    events: readonly RoutedEvent<WatchedHost>[],
    error: SourceError | undefined,
    now: number,
    { paused, slowed, final }: { paused: SourcePause | undefined; slowed: PollPace | undefined; final: boolean },
  ): Promise<void> {
    const { deps } = this;
    const { watch, health } = plan;
    const readFromOf = perHost((host) => plan.readFrom.get(hostKey(host)));
    const inWindow = events.filter(({ event, host }) => {
      const readFrom = readFromOf(host);
      return readFrom !== undefined && event.time >= readFrom && event.time < plan.until;
    });
    const memory = this.memoryOf(detector);
    const judged = memory.judged(health.source);
    const unjudged = inWindow.filter(({ event }) => !judged.has(event.id));
    const recordedFlags = await deps.findings.recordedAmong(watch.id, unjudged.map(({ event }) => event.id));
    const known = new Set(unjudged.flatMap(({ event }, index) => (recordedFlags[index] === true ? [event.id] : [])));
    const judgesRecorded = !memory.settled.has(health.source);
    const observed: ObservedEvent[] = [];
    /** Per host label, its newest event of this read. */
    const newestByHost = new Map<string, number>();
    const heard = new Map<string, number[]>();
    let newest = 0;
    const repairedEvents = new Map<string, number>();
    // Every event read counts as hearing from its host; only events the watch has not recorded need a verdict.
    const labelOf = perHost((host) => primaryIdentifier(host) ?? hostKey(host));
    inWindow.forEach(({ event, host }) => {
      const label = labelOf(host);
      if (!((newestByHost.get(label) ?? Number.NEGATIVE_INFINITY) >= event.time)) newestByHost.set(label, event.time);
      newest = Math.max(newest, event.time);
      // This detector judged it in an earlier read, which recorded its host as heard then.
      if (judged.has(event.id)) return;
      const times = heard.get(label);
      if (times) times.push(event.time);
      else heard.set(label, [event.time]);
      if (known.has(event.id)) {
        if (!judgesRecorded) return;
      } else {
        const repairs = repairedStringsOf(event);
        if (repairs > 0) repairedEvents.set(event.id, repairs);
      }
      observed.push({ event, observation: detector.observe(event) });
    });
    const hostsSeen = new Set([...health.hosts_seen, ...newestByHost.keys()]);
    const lastSeen = { ...health.hosts_last_seen };
    for (const [label, time] of newestByHost) {
      if (!(Date.parse(lastSeen[label] ?? '') >= time)) lastSeen[label] = new Date(time).toISOString();
    }
    // A read that brought nothing this detector has not judged changes no finding and no timeline: only the health.
    const nothingNew = heard.size === 0 && error === undefined;
    // Regular repeats of a tuple add `beaconing` to its finding, or make one, before the events are recorded.
    const history = new RedisBeaconHistory(deps.redis, deps.keys, watch.id, {
      expireAtMs: Date.parse(watch.expires_at) + BEACON_HISTORY_GRACE_MS,
    });
    const withBeacons = observed.length === 0 ? [] : await judgeBeacons(detector, history, observed);
    const assessed: AssessedEvent[] = observed.map(({ event, observation }, index) => ({
      eventId: event.id,
      time: event.time,
      source: event.source,
      assessment: withBeacons[index] ?? observation.assessment,
    }));
    // Repaired strings count once per event, as events do: a look-back re-read of a recorded event adds nothing.
    const repaired = [...repairedEvents.values()].reduce((sum, repairs) => sum + repairs, 0);
    const lookbackMs = deps.connectors.get(health.source)?.lookbackMs ?? 0;
    // A host read for the first time (merged in) delivers old events that are not late: no lag is measured then.
    const polledBefore = new Set(health.polled_hosts);
    const rereadOnly = plan.hosts.every((host) => polledBefore.has(hostKey(host)));
    const lateWindow = rereadOnly ? lateWindowOf(health, lookbackMs) : undefined;
    const applied = nothingNew && !memory.trimDue(health.source, now) ? NOTHING_APPLIED : await deps.findings.apply(watch.id, assessed, plan.from, lateWindow);
    if (applied !== NOTHING_APPLIED) memory.trimmed(health.source, now);
    const lateLagMs = applied.oldestLate === undefined ? undefined : Math.max(0, now - applied.oldestLate);
    if (heard.size > 0) await deps.heard.record(watch, plan.from, heard);
    deps.metrics.events.inc({ source: health.source }, applied.newEvents);
    if (applied.quarantined.length > 0) {
      deps.metrics.eventsQuarantined.inc({ source: health.source }, applied.quarantined.length);
      deps.logger.warn(
        { watch_id: watch.id, incident_id: watch.incident_id, source: health.source, quarantined: applied.quarantined },
        'events quarantined: they could not be recorded, the rest of the poll was',
      );
    }
    if (repaired > 0) {
      deps.logger.warn(
        { watch_id: watch.id, incident_id: watch.incident_id, source: health.source, strings_repaired: repaired },
        'lone surrogates in vendor events replaced with U+FFFD',
      );
    }
    // Both are counted per poll, errors or not: the events were read and recorded (or set aside) either way.
    const counted = {
      ...(repaired > 0 || health.strings_repaired !== undefined ? { strings_repaired: (health.strings_repaired ?? 0) + repaired } : {}),
      ...(applied.quarantined.length > 0 || health.events_quarantined !== undefined
        ? { events_quarantined: (health.events_quarantined ?? 0) + applied.quarantined.length }
        : {}),
    };
    for (const change of applied.changes) {
      if (change.change === 'updated') continue;
      const stored = await deps.findings.get(watch.id, change.findingId);
      if (stored) deps.metrics.findings.inc({ severity: stored.finding.severity, change: change.change });
    }

    const at = new Date(now).toISOString();
    const { paused: _wasPaused, slowed: _wasSlowed, ...unpaused } = health;
    const next: typeof health = error
      ? {
          ...unpaused,
          ...(paused && { paused }),
          ...(slowed && { slowed }),
          ...counted,
          hosts_seen: [...hostsSeen],
          last_error_at: at,
          last_error: error.message,
          consecutive_failures: health.consecutive_failures + 1,
          gaps: recordGap(health, new Date(plan.from).toISOString(), at, error),
        }
      : {
          ...unpaused,
          ...(slowed && { slowed }),
          ...counted,
          polled_until: new Date(plan.until).toISOString(),
          polled_hosts: plan.hosts.map(hostKey),
          last_success_at: at,
          consecutive_failures: 0,
          lag_ms: newest > 0 ? Math.max(0, now - newest) : health.lag_ms,
          ...lateArrival(rememberLateArrival(health.late_arrival, lateLagMs, now)),
          events_seen: health.events_seen + applied.newEvents,
          hosts_seen: [...hostsSeen],
          hosts_last_seen: lastSeen,
          gaps: closeGap(health, at),
        };
    const refreshMs = (deps.healthRefreshPolls ?? HEALTH_REFRESH_POLLS) * watch.poll_interval_ms;
    if (final || healthNeedsRecording(health, next, now, refreshMs)) await deps.store.saveSourceHealth(watch.id, next);
    // Quarantined events count as seen too: every event of this read is judged (or recorded) now.
    if (!error) memory.settle(health.source, inWindow.map(({ event }) => event), plan.from);
    let quietChanged = false;
    if (!nothingNew || memory.quietCheckDue(now)) {
      quietChanged = await this.noteQuietHosts(watch, now);
      memory.quietChecked(now);
    }
    const paceChanged = health.slowed?.every_ms !== slowed?.every_ms;
    if (applied.changes.length > 0 || error || health.consecutive_failures > 0 || !health.last_success_at || quietChanged || paceChanged) {
      await deps.scheduler.sync(watch.id);
    }
    deps.logger.debug(
      { watch_id: watch.id, incident_id: watch.incident_id, source: health.source, new_events: applied.newEvents, changes: applied.changes.length },
      'poll fanned out',
    );
  }
}

/** What a poll starts from: its watches' plans, and the source's pause and pace as they stood. */
interface PollState {
  plans: WatchPlan[];
  fault: SourceFault | undefined;
  pace: PollPace | undefined;
}

/** Whether a terminal failure pauses the source until a probe that is not due yet. */
const pausedBy = (fault: SourceFault | undefined): boolean => fault !== undefined && Date.now() < Date.parse(fault.next_probe_at);

/** What `watch` still needs read from the source whose account of it is `health`; nothing when its read is done. */
function planOf(watch: Watch, health: SourceHealth, connector: SourceConnector, now: number): WatchPlan | undefined {
  const blockedAt = Date.parse(watch.blocked_at);
  const until = Math.min(now, Date.parse(watch.expires_at));
  const hosts = watch.hosts.filter((host) => host.baseline !== 'pending');
  const polledUntil = health.polled_until ? Date.parse(health.polled_until) : undefined;
  const polledHosts = new Set(health.polled_hosts);
  const readFrom = new Map<string, number>();
  const coveredUntil = new Map<string, number>();
  for (const host of hosts) {
    const key = hostKey(host);
    const known = polledUntil !== undefined && polledHosts.has(key);
    readFrom.set(key, known ? Math.max(blockedAt, polledUntil - connector.lookbackMs) : blockedAt);
    if (known) coveredUntil.set(key, polledUntil);
  }
  const from = Math.min(...readFrom.values());
  if (!(from < until)) return undefined;
  return { watch, health, hosts, readFrom, coveredUntil, from, until };
}

/** `of`, computed once per host of a poll (a read holds many events of each host). */
function perHost<T>(of: (host: WatchedHost) => T): (host: WatchedHost) => T {
  const known = new Map<WatchedHost, T>();
  return (host) => {
    if (!known.has(host)) known.set(host, of(host));
    return known.get(host) as T;
  };
}

const NOTHING_APPLIED: ApplyResult = Object.freeze({ newEvents: 0, changes: [], quarantined: [] });

const lateArrival = (late: SourceHealth['late_arrival']) => (late ? { late_arrival: late } : {});

function sameHosts(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  return a.size === b.size && [...a.keys()].every((host) => b.has(host));
}

function asSourceError(error: unknown, sourceId: string): SourceError {
  if (error instanceof SourceError) return error;
  return new SourceError('retryable', sourceId, error instanceof Error ? error.message : String(error), { cause: error });
}

interface RunOptions {
  now?: number;
  waitForSourceMs?: number;
  /** Take every watch of the shard or none (a close's look); otherwise those no other poll holds. */
  all?: boolean;
  /** A close's final look: every watch's health is recorded, however little changed. */
  final?: boolean;
  skipWhilePaused?: boolean;
}

interface PollOptions {
  onlyWatchIds?: string[];
  now?: number;
  waitForSourceMs?: number;
}

const refOf = (host: WatchedHost): HostRef => ({ hostname: host.hostname, ip: host.ip, edr_id: host.edr_id });

/**
 * What of a batch's range earlier reads covered, for a connector that reads by ingestion time: events of that part
 * come back only when ingested since the earliest of those reads ended, less the connector's overlap.
 */
function coveredPart(connector: SourceConnector, batch: ReadBatch): Pick<TimeRangeQuery, 'covered'> {
  const overlapMs = connector.ingestionOverlapMs;
  if (overlapMs === undefined || batch.coveredUntil === undefined || !(batch.coveredUntil > batch.from)) return {};
  return { covered: { until: new Date(batch.coveredUntil), ingestedSince: new Date(batch.coveredUntil - overlapMs) } };
}

/** One query's worth of hosts and the time range [from, to) that covers what each of their watches still needs. */
export interface ReadBatch {
  hosts: HostRef[];
  from: number;
  to: number;
  /** Set when an earlier successful read covered every host of the batch: the earliest end of those reads. */
  coveredUntil?: number;
}

/**
 * The hosts of all plans (each once), in batches of `size`, each batch read from the earliest cursor of its own hosts
 * to the latest end of the plans holding them. Hosts are sorted by where their read starts before chunking, so hosts
 * with an old cursor (a new watch, a failed batch) share batches with each other, and widen at most the one batch
 * they share with fresher hosts. A batch is covered up to the earliest end of its hosts' last successful reads, and
 * not at all when one of its hosts has none (for any watch holding it).
 */
export function readBatches(
  plans: readonly { hosts: readonly WatchedHost[]; readFrom: ReadonlyMap<string, number>; coveredUntil: ReadonlyMap<string, number>; until: number }[],
  size: number,
): ReadBatch[] {
  const byKey = new Map<string, { host: HostRef; from: number; to: number; coveredUntil: number | undefined }>();
  for (const plan of plans) {
    for (const host of plan.hosts) {
      const key = hostKey(host);
      const from = plan.readFrom.get(key) ?? plan.until;
      const coveredUntil = plan.coveredUntil.get(key);
      const seen = byKey.get(key);
      if (seen) {
        seen.from = Math.min(seen.from, from);
        seen.to = Math.max(seen.to, plan.until);
        seen.coveredUntil = seen.coveredUntil === undefined || coveredUntil === undefined ? undefined : Math.min(seen.coveredUntil, coveredUntil);
      } else {
        byKey.set(key, { host: refOf(host), from, to: plan.until, coveredUntil });
      }
    }
  }
  const hosts = [...byKey.values()].sort((a, b) => a.from - b.from);
  const batches: ReadBatch[] = [];
  for (let start = 0; start < hosts.length; start += size) {
    const slice = hosts.slice(start, start + size);
    const covered = slice.map(({ coveredUntil }) => coveredUntil);
    batches.push({
      hosts: slice.map(({ host }) => host),
      from: Math.min(...slice.map(({ from }) => from)),
      to: Math.max(...slice.map(({ to }) => to)),
      ...(covered.every((until) => until !== undefined) && { coveredUntil: Math.min(...covered) }),
    });
  }
  return batches;
}

/**
 * Watches packed into shards of at most `size` distinct hosts (a watch with more hosts is a shard of its own), in
 * order of where their reads start, so watches with an old cursor share shards with each other.
 */
export function shardsOf(plans: readonly { watch: { id: string }; hosts: readonly WatchedHost[]; from: number }[], size: number): PollShard[] {
  const shards: PollShard[] = [];
  let watchIds: string[] = [];
  let hosts = new Set<string>();
  for (const plan of [...plans].sort((a, b) => a.from - b.from)) {
    const joined = new Set([...hosts, ...plan.hosts.map(hostKey)]);
    if (watchIds.length > 0 && joined.size > size) {
      shards.push({ watchIds, hosts: hosts.size });
      watchIds = [];
      hosts = new Set(plan.hosts.map(hostKey));
    } else {
      hosts = joined;
    }
    watchIds.push(plan.watch.id);
  }
  if (watchIds.length > 0) shards.push({ watchIds, hosts: hosts.size });
  return shards;
}
