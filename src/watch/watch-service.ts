import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ContainmentRequest, Host, Indicator } from '../contracts/containment-request.js';
import { formatDuration, parseDuration } from '../contracts/duration.js';
import type { AuditActor, AuditEntry, Watch, WatchedHost } from '../contracts/watch.js';
import { OperationalError } from '../lib/failure.js';
import type { RedisKeys } from '../lib/keys.js';
import { withLock } from '../lib/lock.js';
import type { Logger } from '../lib/logger.js';
import { hostKey } from '../contracts/host-identity.js';
import type { LifecycleScheduler } from './lifecycle-scheduler.js';
import { ensureLifecycleJobs } from './reconciler.js';
import type { IdempotencyRecord, WatchStore } from '../stores/watch-store.js';

export interface WatchDefaults {
  durationMs: number;
  pollIntervalMs: number;
  baselineMs: number;
  slackChannel?: string;
}

export interface OpenResult {
  watch: Watch;
  /** True when the request joined an active watch of the same incident. */
  merged: boolean;
  /** True when the same action (action_id / Idempotency-Key) was seen before: nothing changed. */
  repeated: boolean;
}

/** A request the contract allows but the product cannot honour (e.g. a source that is not configured). */
export class WatchRequestError extends OperationalError {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super('watch.request_rejected', 'terminal', message);
  }
}

export class WatchNotFoundError extends OperationalError {
  constructor(readonly watchId: string) {
    super('watch.not_found', 'terminal', `no watch ${watchId}`);
  }
}

export class WatchClosedError extends OperationalError {
  constructor(readonly watchId: string) {
    super('watch.closed', 'terminal', `watch ${watchId} is closed`);
  }
}

const IDEMPOTENCY_TTL_SECONDS = 7 * 24 * 3600;
const FUTURE_TOLERANCE_MS = 5 * 60_000;

/** Opens, merges, extends and stops watches: the lifecycle transitions that callers ask for. */
export class WatchService {
  constructor(
    private readonly deps: {
      redis: Redis;
      keys: RedisKeys;
      store: WatchStore;
      scheduler: Pick<LifecycleScheduler, 'takeBaseline' | 'closeAt' | 'sync'>;
      defaults: WatchDefaults;
      sourceIds: readonly string[];
      logger: Logger;
      now?: () => number;
    },
  ) {}

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /**
   * Opens a watch for the request, or merges it into the incident's active watch (SOARs often block
   * several addresses in a loop: one watch, one Slack thread). Idempotent on `idempotencyKey`.
   */
  async open(request: ContainmentRequest, by: AuditActor, idempotencyKey?: string): Promise<OpenResult> {
    const { keys, redis, store } = this.deps;
    const sources = this.resolveSources(request.sources);
    const blockedAt = request.blocked_at ? Date.parse(request.blocked_at) : this.now();
    if (blockedAt > this.now() + FUTURE_TOLERANCE_MS) throw new WatchRequestError('blocked_at', 'blocked_at is in the future');
    const idemKey = idempotencyKey ? keys.idempotency(createHash('sha256').update(idempotencyKey).digest('hex')) : undefined;

    const repeat = await this.repeatOf(idemKey);
    if (repeat) return this.repeated(repeat);

    return withLock(redis, keys.incidentLock(request.incident_id), async () => {
      const again = await this.repeatOf(idemKey);
      if (again) return this.repeated(again);

      const idempotency = idemKey ? { key: idemKey, ttlSeconds: IDEMPOTENCY_TTL_SECONDS } : undefined;
      const active = await store.activeWatchOfIncident(request.incident_id);
      return active
        ? this.merge(active, request, sources, by, idempotencyKey, idempotency)
        : this.create(request, sources, blockedAt, by, idempotencyKey, idempotency);
    });
  }

  /**
   * A request seen before changes nothing, but its watch's jobs are added again if missing: the first attempt may
   * have failed after the watch was written and before its jobs were (the reason the SOAR retried).
   */
  private async repeated(watch: Watch): Promise<OpenResult> {
    await ensureLifecycleJobs(this.deps, watch);
    return { watch, merged: false, repeated: true };
  }

  /** `ref` names the interaction asking (a Slack action); asking again with the same ref changes nothing. */
  async extend(watchId: string, byMs: number, by: AuditActor, ref?: string): Promise<Watch> {
    const watch = await this.mutateActive(watchId, ref, (current) => {
      current.expires_at = new Date(Date.parse(current.expires_at) + byMs).toISOString();
      current.audit.push({ at: new Date(this.now()).toISOString(), ...by, action: 'extend', detail: `by ${formatDuration(byMs)}`, ...refField(ref) });
      return current;
    });
    await this.deps.scheduler.closeAt(watch.id, new Date(watch.expires_at));
    await this.deps.scheduler.sync(watch.id);
    return watch;
  }

  /** Ends the window now; the close job takes a last look at every source and gives the verdict. */
  async stop(watchId: string, reason: string, by: AuditActor, ref?: string): Promise<Watch> {
    const watch = await this.mutateActive(watchId, ref, (current) => {
      current.expires_at = new Date(Math.min(Date.parse(current.expires_at), this.now())).toISOString();
      current.stop_reason = reason;
      current.audit.push({ at: new Date(this.now()).toISOString(), ...by, action: 'stop', detail: reason, ...refField(ref) });
      return current;
    });
    await this.deps.scheduler.closeAt(watch.id, new Date(watch.expires_at));
    return watch;
  }

  /**
   * Adds an entry to the audit trail of a watch, open or closed (acknowledging a finding after the close is fine).
   * An entry whose `ref` is already recorded is not added again. Returns the watch, or undefined when there is none.
   */
  async recordAudit(watchId: string, entry: Omit<AuditEntry, 'at'>): Promise<Watch | undefined> {
    return this.deps.store.update(watchId, (current) => {
      if (entry.ref !== undefined && current.audit.some((existing) => existing.ref === entry.ref)) return undefined;
      current.audit.push({ at: new Date(this.now()).toISOString(), ...entry });
      return current;
    });
  }

  private async mutateActive(watchId: string, ref: string | undefined, change: (watch: Watch) => Watch): Promise<Watch> {
    let closed = false;
    const watch = await this.deps.store.update(watchId, (current) => {
      if (ref !== undefined && current.audit.some((entry) => entry.ref === ref)) return undefined;
      if (current.state === 'closed') {
        closed = true;
        return undefined;
      }
      return change(current);
    });
    if (!watch) throw new WatchNotFoundError(watchId);
    if (closed) throw new WatchClosedError(watchId);
    return watch;
  }

  private async repeatOf(idemKey: string | undefined): Promise<Watch | undefined> {
    if (!idemKey) return undefined;
    const watchId = await this.deps.redis.get(idemKey);
    return watchId ? this.deps.store.get(watchId) : undefined;
  }

  private resolveSources(requested: readonly string[] | undefined): string[] {
    const configured = this.deps.sourceIds;
    if (!requested) return [...configured];
    requested.forEach((source, index) => {
      if (!configured.includes(source)) {
        throw new WatchRequestError(
          `sources.${index}`,
          `unknown source "${source}" (configured: ${configured.join(', ') || 'none'})`,
        );
      }
    });
    return [...new Set(requested)];
  }

  private async create(
    request: ContainmentRequest,
    sources: string[],
    blockedAt: number,
    by: AuditActor,
    actionId: string | undefined,
    idempotency: IdempotencyRecord | undefined,
  ): Promise<OpenResult> {
    const { defaults } = this.deps;
    const durationMs = optionMs(request.watch?.duration) ?? defaults.durationMs;
    const now = new Date(this.now()).toISOString();
    const watch: Watch = {
      id: `w-${randomUUID()}`,
      incident_id: request.incident_id,
      title: request.title,
      severity: request.severity,
      slack_channel: request.slack_channel ?? defaults.slackChannel,
      control: request.control,
      blocked: dedupeIndicators(request.blocked),
      blocked_at: new Date(blockedAt).toISOString(),
      hosts: dedupeHosts([], request.hosts),
      sources,
      duration_ms: durationMs,
      poll_interval_ms: optionMs(request.watch?.poll_interval) ?? defaults.pollIntervalMs,
      baseline_ms: optionMs(request.watch?.baseline) ?? defaults.baselineMs,
      state: 'baseline',
      opened_by: by.actor,
      created_at: now,
      updated_at: now,
      expires_at: new Date(blockedAt + durationMs).toISOString(),
      action_ids: actionId ? [actionId] : [],
      audit: [{ at: now, ...by, action: 'open', detail: `${request.hosts.length} hosts, ${request.blocked.length} indicators` }],
    };
    await this.deps.store.create(watch, idempotency);
    // Closing is scheduled now, not after the baseline: a watch whose baseline never finishes still gets a verdict.
    await ensureLifecycleJobs(this.deps, watch);
    await this.deps.scheduler.sync(watch.id);
    this.deps.logger.info({ watch_id: watch.id, incident_id: watch.incident_id, hosts: watch.hosts.length }, 'watch opened');
    return { watch, merged: false, repeated: false };
  }

  private async merge(
    active: Watch,
    request: ContainmentRequest,
    sources: string[],
    by: AuditActor,
    actionId: string | undefined,
    idempotency: IdempotencyRecord | undefined,
  ): Promise<OpenResult> {
    let addedHosts = 0;
    const watch = await this.deps.store.update(active.id, (current) => {
      const hosts = dedupeHosts(current.hosts, request.hosts);
      addedHosts = hosts.length - current.hosts.length;
      const blocked = dedupeIndicators([...current.blocked, ...request.blocked]);
      const addedIndicators = blocked.length - current.blocked.length;
      current.hosts = hosts;
      current.blocked = blocked;
      current.sources = [...new Set([...current.sources, ...sources])];
      if (actionId && !current.action_ids.includes(actionId)) current.action_ids.push(actionId);
      current.audit.push({
        at: new Date(this.now()).toISOString(),
        ...by,
        action: 'merge',
        detail: `+${addedHosts} hosts, +${addedIndicators} indicators`,
      });
      return current;
    }, idempotency);
    if (!watch) throw new WatchNotFoundError(active.id);
    await ensureLifecycleJobs(this.deps, watch);
    await this.deps.scheduler.sync(watch.id);
    this.deps.logger.info({ watch_id: watch.id, incident_id: watch.incident_id, added_hosts: addedHosts }, 'request merged into watch');
    return { watch, merged: true, repeated: false };
  }
}

const optionMs = (text: string | undefined) => (text === undefined ? undefined : parseDuration(text));

const refField = (ref: string | undefined): { ref?: string } => (ref === undefined ? {} : { ref });



function dedupeHosts(existing: readonly WatchedHost[], incoming: readonly Host[]): WatchedHost[] {
  const seen = new Set(existing.map(hostKey));
  const hosts = [...existing];
  for (const host of incoming) {
    const key = hostKey(host);
    if (seen.has(key)) continue;
    seen.add(key);
    hosts.push({ ...host, baseline: 'pending' });
  }
  return hosts;
}

function dedupeIndicators(indicators: readonly Indicator[]): Indicator[] {
  const seen = new Set<string>();
  return indicators.filter((indicator) => {
    const key = `${indicator.type}|${indicator.value.toLowerCase()}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
