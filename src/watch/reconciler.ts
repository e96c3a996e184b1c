import type { Redis } from 'ioredis';
import type { Watch } from '../contracts/watch.js';
import type { RedisKeys } from '../lib/keys.js';
import type { Logger } from '../lib/logger.js';
import { baselineJobId, closeJobId } from '../queue/queues.js';
import type { WatchStore } from '../stores/watch-store.js';
import { scheduleSourcePolls } from './baseline-taker.js';
import type { LifecycleScheduler } from './lifecycle-scheduler.js';

/** How often every active watch is checked against its lifecycle jobs. */
export const RECONCILE_EVERY_MS = 30_000;
/** Re-runs of one lifecycle job before the reconciler gives up on it. */
export const MAX_REDRIVES = 5;
/** Wait before the first re-run, doubled for each further one (a crash-looping worker is not hammered). */
const FIRST_REDRIVE_DELAY_MS = 15_000;
const MAX_REDRIVE_DELAY_MS = 10 * 60_000;
/**
 * A close job that finished while its watch is still open this long after the window's end, or after the last look
 * of a close waiting for late telemetry, left the watch without a close: run it again.
 */
const STUCK_CLOSE_MS = 30 * 60_000;
const PAGE = 200;

export interface ReconcileOutcome {
  checked: number;
  /** Lifecycle jobs that were missing (never added, or lost) and were added. */
  added: number;
  /** Failed or stuck lifecycle jobs run again under a new id. */
  redriven: number;
  /** Watches whose baseline failed more than `MAX_REDRIVES` times and now watch without it. */
  gaveUp: number;
}

type LifecycleJob = 'baseline' | 'close';

export interface ReconcilerDeps {
  redis: Redis;
  keys: RedisKeys;
  store: WatchStore;
  scheduler: LifecycleScheduler;
  logger: Logger;
}

/**
 * Finds every active watch whose lifecycle jobs are missing, failed or stuck, and repairs it: a watch is never left
 * without a baseline job while it needs one, nor without a close job while it is open. Opening writes the watch
 * atomically before its jobs, so a crash or a Redis failure in between leaves exactly what this repairs.
 */
export async function reconcileWatches(deps: ReconcilerDeps, now = Date.now()): Promise<ReconcileOutcome> {
  const outcome: ReconcileOutcome = { checked: 0, added: 0, redriven: 0, gaveUp: 0 };
  for (let start = 0; ; start += PAGE) {
    const ids = await deps.redis.zrange(deps.keys.activeWatches, String(start), String(start + PAGE - 1));
    for (const watch of await deps.store.getMany(ids)) {
      if (watch.state === 'closed') continue;
      outcome.checked += 1;
      await reconcileBaseline(deps, watch, now, outcome);
      await reconcileClose(deps, watch, now, outcome);
    }
    if (ids.length < PAGE) break;
  }
  if (outcome.added + outcome.redriven + outcome.gaveUp > 0) deps.logger.warn({ ...outcome }, 'watches reconciled');
  return outcome;
}

/** The lifecycle jobs of one watch, added if missing; what a retried webhook calls for the watch it finds. */
export async function ensureLifecycleJobs(deps: { scheduler: Pick<LifecycleScheduler, 'takeBaseline' | 'closeAt'> }, watch: Watch): Promise<void> {
  if (watch.state === 'closed') return;
  if (needsBaseline(watch)) await deps.scheduler.takeBaseline(watch);
  await deps.scheduler.closeAt(watch.id, new Date(watch.expires_at), watch.recovery?.close_redrives);
}

const needsBaseline = (watch: Watch) => watch.state === 'baseline' || watch.hosts.some((host) => host.baseline === 'pending');

async function reconcileBaseline(deps: ReconcilerDeps, watch: Watch, now: number, outcome: ReconcileOutcome): Promise<void> {
  if (!needsBaseline(watch)) return;
  const jobId = baselineJobId(watch);
  const job = await deps.scheduler.lifecycleJob(jobId);
  if (job.state === 'unknown') {
    await deps.scheduler.takeBaseline(watch);
    outcome.added += 1;
    deps.logger.warn({ watch_id: watch.id, job_id: jobId }, 'baseline job was missing: added');
    return;
  }
  if (job.state !== 'failed' && job.state !== 'completed') return;
  // The job may have finished after the watch was read: only a watch that still needs this job is re-driven.
  const current = await deps.store.get(watch.id);
  if (!current || current.state === 'closed' || !needsBaseline(current) || baselineJobId(current) !== jobId) return;
  const reason = job.state === 'failed' ? `baseline job failed (${job.failedReason ?? 'no reason given'})` : 'baseline job ended without taking the baseline';
  if (redrivesOf(current, 'baseline') >= MAX_REDRIVES) {
    if (await watchWithoutBaseline(deps, current, now, reason)) outcome.gaveUp += 1;
    return;
  }
  const redriven = await recordRedrive(deps, current, 'baseline', reason, now);
  if (!redriven) return;
  await deps.scheduler.takeBaseline(redriven);
  await deps.scheduler.sync(redriven.id);
  outcome.redriven += 1;
}

async function reconcileClose(deps: ReconcilerDeps, watch: Watch, now: number, outcome: ReconcileOutcome): Promise<void> {
  const expiresAt = new Date(watch.expires_at);
  const jobId = closeJobId(watch.id, expiresAt, watch.recovery?.close_redrives);
  const job = await deps.scheduler.lifecycleJob(jobId);
  if (job.state === 'unknown') {
    await deps.scheduler.closeAt(watch.id, expiresAt, watch.recovery?.close_redrives);
    outcome.added += 1;
    deps.logger.warn({ watch_id: watch.id, job_id: jobId }, 'close job was missing: added');
    return;
  }
  // A close waiting for late telemetry re-adds itself under other ids and records each look in `closing`.
  const lastCloseActivity = Math.max(expiresAt.getTime(), watch.closing ? Date.parse(watch.closing.checked_at) : 0);
  const stuck = job.state === 'completed' && now > lastCloseActivity + STUCK_CLOSE_MS;
  if (job.state !== 'failed' && !stuck) return;
  const current = await deps.store.get(watch.id);
  if (!current || current.state === 'closed' || current.expires_at !== watch.expires_at) return;
  if (closeJobId(current.id, expiresAt, current.recovery?.close_redrives) !== jobId) return;
  const reason = job.state === 'failed' ? `close job failed (${job.failedReason ?? 'no reason given'})` : 'close job ended without closing the watch';
  const redriven = await recordRedrive(deps, current, 'close', reason, now);
  if (!redriven) return;
  await deps.scheduler.closeAt(redriven.id, expiresAt, redriven.recovery?.close_redrives);
  await deps.scheduler.sync(redriven.id);
  outcome.redriven += 1;
}

const redrivesOf = (watch: Watch, job: LifecycleJob): number =>
  (job === 'baseline' ? watch.recovery?.baseline_redrives : watch.recovery?.close_redrives) ?? 0;

/** Delay before re-drive number `count + 1`. */
export const redriveDelayMs = (count: number): number => Math.min(MAX_REDRIVE_DELAY_MS, FIRST_REDRIVE_DELAY_MS * 2 ** count);

/** Counts the re-drive on the watch (status message, audit), or returns undefined while backing off. */
async function recordRedrive(deps: ReconcilerDeps, watch: Watch, job: LifecycleJob, reason: string, now: number): Promise<Watch | undefined> {
  const count = redrivesOf(watch, job);
  // A close is never held back: the verdict is late already. A baseline re-run waits, so a crash loop is not fed.
  if (job === 'baseline' && watch.recovery && now < Date.parse(watch.recovery.last_at) + redriveDelayMs(count)) return undefined;
  const at = new Date(now).toISOString();
  const detail = `${reason}: run again (${count + 1} of ${job === 'baseline' ? MAX_REDRIVES : 'unlimited'})`;
  let changed = false;
  const updated = await deps.store.update(watch.id, (current) => {
    if (current.state === 'closed' || redrivesOf(current, job) !== count) return undefined;
    const recovery = current.recovery ?? { baseline_redrives: 0, close_redrives: 0, last_at: at, last_reason: reason };
    current.recovery = {
      ...recovery,
      ...(job === 'baseline' ? { baseline_redrives: count + 1 } : { close_redrives: count + 1 }),
      last_at: at,
      last_reason: reason,
    };
    current.audit.push({ at, actor: 'containment-watch', action: 'recover', detail });
    changed = true;
    return current;
  });
  if (!changed || !updated) return undefined;
  deps.logger.warn({ watch_id: watch.id, job, redrive: count + 1, reason }, 'lifecycle job run again');
  return updated;
}

/**
 * After `MAX_REDRIVES` failed baselines the watch polls without one: its hosts are marked `unavailable`, so the
 * verdict can only be inconclusive for them, but a live fallback channel is still found and reported.
 */
async function watchWithoutBaseline(deps: ReconcilerDeps, watch: Watch, now: number, reason: string): Promise<boolean> {
  const at = new Date(now).toISOString();
  let changed = false;
  const updated = await deps.store.update(watch.id, (current) => {
    if (current.state === 'closed' || !needsBaseline(current)) return undefined;
    current.hosts = current.hosts.map((host) => (host.baseline === 'pending' ? { ...host, baseline: 'unavailable' } : host));
    if (current.state === 'baseline') current.state = 'watching';
    current.recovery = { ...(current.recovery ?? { baseline_redrives: 0, close_redrives: 0 }), last_at: at, last_reason: reason };
    current.audit.push({
      at,
      actor: 'containment-watch',
      action: 'recover',
      detail: `${reason}; gave up after ${MAX_REDRIVES} re-runs: watching without a baseline`,
    });
    changed = true;
    return current;
  });
  if (!changed || !updated) return false;
  deps.logger.error({ watch_id: watch.id, reason, redrives: MAX_REDRIVES }, 'baseline given up: watching without it');
  await scheduleSourcePolls(deps, updated.sources);
  await deps.scheduler.sync(updated.id);
  return true;
}
