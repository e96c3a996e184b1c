import type { SourceCatchUp, Watch } from '../contracts/watch.js';
import type { Logger } from '../lib/logger.js';
import { activeClosing, closedStatus, closingStatus } from '../report/text/closing-status.js';
import type { FindingStore } from '../stores/finding-store.js';
import type { HeardTimeline } from '../stores/heard-timeline.js';
import type { WatchStore } from '../stores/watch-store.js';
import { scheduleSourcePolls } from './baseline-taker.js';
import { catchUpOf, nextCloseStep, NO_SETTLE, recentLateLag, type CloseStep, type SettlePolicy } from '../rules/catch-up.js';
import type { LifecycleScheduler } from './lifecycle-scheduler.js';
import type { SourcePoller } from './source-poller.js';
import { baselinedHosts } from '../detect/baseline.js';
import { decideVerdict } from '../rules/verdict.js';

/** Long enough for any running poll of the source to finish; the close then takes its own look. */
const WAIT_FOR_SOURCE_MS = 60_000;
/** A source whose reads keep failing while the close waits is looked at again this often (or every poll interval). */
const MIN_RECHECK_MS = 1_000;

export interface WatchCloserDeps {
  store: WatchStore;
  findings: Pick<FindingStore, 'list'>;
  heard: Pick<HeardTimeline, 'silences'>;
  /** Per source: how long its telemetry takes to settle, which the close waits for. Default: none is waited for. */
  settle?: ReadonlyMap<string, SettlePolicy>;
  /** The close's own last look at each source. */
  poller: Pick<SourcePoller, 'poll'>;
  scheduler: Pick<LifecycleScheduler, 'closeAt' | 'sync' | 'publishVerdict' | 'schedulePolls'>;
  logger: Logger;
}

export class SourceBusyError extends Error {
  constructor(readonly sourceId: string) {
    super(`${sourceId} is being polled; the close will retry`);
  }
}

/** At most this many watches whose windows end together are looked at and closed in one round. */
const MAX_CLOSES_PER_ROUND = 200;
/**
 * A look taken this close to (or after) a close job came due stands for that job's own: a close that waits asks for
 * its next look at least MIN_RECHECK_MS after the last, so that job is never mistaken for one already served.
 */
const SERVED_TOLERANCE_MS = MIN_RECHECK_MS / 2;

/** Close rounds run one at a time in this process, so close jobs due together do not each read the same hosts. */
let roundInProgress: Promise<void> = Promise.resolve();

/**
 * Closes a watch whose window has ended: a look at every source for this watch, then the verdict once every source
 * has caught up past the window's end (its last successful read, less its settle time). Until then the close job
 * records what it waits for and adds itself again for when the next source should have caught up, so no worker is
 * held; a source still behind settle + settle_grace after the end is named and the verdict is inconclusive. A finding
 * that already breaches is given at once: later telemetry cannot undo it.
 * A close job of a watch that was extended since finds expires_at in the future and does nothing.
 *
 * Other watches whose windows have ended too and that no close is waiting on yet are closed in the same round: one
 * look per source covers all of them (batches of the source's host limit), and their own close jobs, due at
 * `dueAt`, then find them closed or waiting with their next look scheduled.
 */
export async function closeWatch(deps: WatchCloserDeps, watchId: string, now?: number, dueAt?: number): Promise<void> {
  const round = roundInProgress.then(() => closeRound(deps, watchId, now ?? Date.now(), dueAt));
  roundInProgress = round.catch(() => undefined);
  await round;
}

async function closeRound(deps: WatchCloserDeps, watchId: string, now: number, dueAt: number | undefined): Promise<void> {
  const watch = await deps.store.get(watchId);
  if (!watch) return;
  if (watch.state === 'closed') {
    await deps.scheduler.publishVerdict(watch.id);
    return;
  }
  if (Date.parse(watch.expires_at) > now + 1_000) return;
  // Nothing of the window is read before the baseline is taken (polling starts then, from the block): the close
  // waits for it. The reconciler bounds the wait: a baseline that keeps failing is given up and the watch polls.
  if (watch.state === 'baseline') {
    const recheckAt = now + Math.max(watch.poll_interval_ms, MIN_RECHECK_MS);
    await waitForSources(deps, watch, [], recheckAt, now, 'closing: waiting for the baseline to finish');
    return;
  }
  if (dueAt !== undefined && watch.closing?.window_end === watch.expires_at && Date.parse(watch.closing.checked_at) >= dueAt - SERVED_TOLERANCE_MS) return;

  const watches = [watch, ...(await closingTogether(deps, watch, now))];
  const sources = [...new Set(watches.flatMap((due) => due.sources))];
  for (const sourceId of sources) {
    const onlyWatchIds = watches.filter((due) => due.sources.includes(sourceId)).map((due) => due.id);
    const outcome = await deps.poller.poll(sourceId, { onlyWatchIds, now, waitForSourceMs: WAIT_FOR_SOURCE_MS });
    if (outcome === 'busy') throw new SourceBusyError(sourceId);
  }
  const closed: Watch[] = [];
  for (const due of watches) {
    const done = await decide(deps, due, now);
    if (done) closed.push(done);
  }
  if (closed.length === 0) return;
  await scheduleSourcePolls(deps, [...new Set(closed.flatMap((done) => done.sources))]);
  for (const done of closed) await deps.scheduler.publishVerdict(done.id);
}

/** Watching watches whose windows have ended by `now` and that no close has looked at yet for this window. */
async function closingTogether(deps: WatchCloserDeps, lead: Watch, now: number): Promise<Watch[]> {
  // Active watches are listed by expiry: the ones due now come first.
  const soonest = await deps.store.list('active', MAX_CLOSES_PER_ROUND);
  return soonest.filter(
    (watch) =>
      watch.id !== lead.id &&
      watch.state === 'watching' &&
      Date.parse(watch.expires_at) <= now &&
      watch.closing?.window_end !== watch.expires_at,
  );
}

/** The verdict of a watch whose sources were just looked at, or what its close waits for; the closed watch if closed. */
async function decide(deps: WatchCloserDeps, watch: Watch, now: number): Promise<Watch | undefined> {
  const waitedBefore = new Map((activeClosing(watch)?.sources ?? []).map((source) => [source.source, source.observed_lag_ms]));
  const [findings, coverage, silences, baseline] = await Promise.all([
    deps.findings.list(watch.id),
    deps.store.sourceHealth(watch.id),
    deps.heard.silences(watch),
    deps.store.baseline(watch.id),
  ]);
  const health = new Map(coverage.map((entry) => [entry.source, entry]));
  const sources = watch.sources.map((source) =>
    // Every poll notes the lag of late telemetry (this close's own look included); one seen at an earlier look stands.
    catchUpOf(watch, source, health.get(source), deps.settle?.get(source) ?? NO_SETTLE, maxDefined(recentLateLag(health.get(source), now), waitedBefore.get(source))),
  );
  const step: CloseStep = nextCloseStep(sources, now, Math.max(watch.poll_interval_ms, MIN_RECHECK_MS));
  const behind = step.kind === 'decide' ? step.behind : [];
  const { verdict, reasons } = decideVerdict(watch, findings, coverage, silences, baseline && baselinedHosts(baseline), behind);
  if (step.kind === 'wait' && verdict !== 'breached') {
    await waitForSources(deps, watch, sources, step.nextCheckAt, now);
    return undefined;
  }

  const closed = await deps.store.update(watch.id, (current) => {
    if (current.state === 'closed') return undefined;
    const waited = activeClosing(current);
    current.state = 'closed';
    current.verdict = verdict;
    current.verdict_reasons = reasons;
    current.closed_at = new Date(now).toISOString();
    if (waited) current.closing = { ...waited, checked_at: current.closed_at, status: closedStatus({ sources }), sources };
    current.audit.push({ at: current.closed_at, actor: 'containment-watch', action: 'close', detail: verdict });
    return current;
  });
  if (!closed) return undefined;
  deps.logger.info(
    { watch_id: watch.id, incident_id: watch.incident_id, verdict, findings: findings.length, behind: behind.map((source) => source.source) },
    'watch closed',
  );
  return closed;
}

const maxDefined = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : Math.max(a, b);

/** Shows what the close waits for (status message, API) and has it look again at `nextCheckAt`. */
async function waitForSources(
  deps: WatchCloserDeps,
  watch: Watch,
  sources: SourceCatchUp[],
  nextCheckAt: number,
  now: number,
  status = closingStatus({ sources }, now),
): Promise<void> {
  const at = new Date(now).toISOString();
  const updated = await deps.store.update(watch.id, (current) => {
    if (current.state === 'closed' || current.expires_at !== watch.expires_at) return undefined;
    const since = current.closing?.window_end === current.expires_at ? current.closing.since : at;
    current.closing = { window_end: current.expires_at, since, checked_at: at, status, sources };
    if (since === at) current.audit.push({ at, actor: 'containment-watch', action: 'closing', detail: status });
    return current;
  });
  if (!updated) return;
  const waiting = sources.filter((source) => !source.caught_up).map((source) => source.source);
  // Strictly after this check and the window's end: a close job's id is its time, and the job at expires_at may be this one.
  const checkAt = Math.max(nextCheckAt, now + MIN_RECHECK_MS, Date.parse(watch.expires_at) + 1);
  deps.logger.info(
    { watch_id: watch.id, incident_id: watch.incident_id, waiting_for: waiting, next_check_at: new Date(checkAt).toISOString() },
    'close waits for sources to catch up past the window end',
  );
  await deps.scheduler.closeAt(watch.id, new Date(checkAt));
  await deps.scheduler.sync(watch.id);
}
