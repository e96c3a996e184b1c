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

/**
 * Closes a watch whose window has ended: a look at every source for this watch, then the verdict once every source
 * has caught up past the window's end (its last successful read, less its settle time). Until then the close job
 * records what it waits for and adds itself again for when the next source should have caught up, so no worker is
 * held; a source still behind settle + settle_grace after the end is named and the verdict is inconclusive. A finding
 * that already breaches is given at once: later telemetry cannot undo it.
 * A close job of a watch that was extended since finds expires_at in the future and does nothing.
 */
export async function closeWatch(deps: WatchCloserDeps, watchId: string, now = Date.now()): Promise<void> {
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

  for (const sourceId of watch.sources) {
    const outcome = await deps.poller.poll(sourceId, { onlyWatchIds: [watch.id], now, waitForSourceMs: WAIT_FOR_SOURCE_MS });
    if (outcome === 'busy') throw new SourceBusyError(sourceId);
  }
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
    return;
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
  if (!closed) return;
  deps.logger.info(
    { watch_id: watch.id, incident_id: watch.incident_id, verdict, findings: findings.length, behind: behind.map((source) => source.source) },
    'watch closed',
  );
  await scheduleSourcePolls(deps, closed.sources);
  await deps.scheduler.publishVerdict(closed.id);
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
