import { scheduleSourcePolls } from './baseline-taker.js';
import type { WatchRuntime } from './runtime.js';
import type { SourcePoller } from './source-poller.js';
import { baselinedHosts } from '../detect/baseline.js';
import { decideVerdict } from './verdict.js';

/** Long enough for any running poll of the source to finish; the close then takes its own look. */
const WAIT_FOR_SOURCE_MS = 60_000;

export class SourceBusyError extends Error {
  constructor(readonly sourceId: string) {
    super(`${sourceId} is being polled; the close will retry`);
  }
}

/**
 * Closes a watch whose window has ended: one last read of every source for this watch, then the verdict.
 * A close job of a watch that was extended since finds expires_at in the future and does nothing.
 */
export async function closeWatch(runtime: WatchRuntime, poller: SourcePoller, watchId: string, now = Date.now()): Promise<void> {
  const watch = await runtime.store.get(watchId);
  if (!watch) return;
  if (watch.state === 'closed') {
    await runtime.queues.publishVerdict(watch.id);
    return;
  }
  if (Date.parse(watch.expires_at) > now + 1_000) return;

  if (watch.state === 'watching') {
    for (const sourceId of watch.sources) {
      const outcome = await poller.poll(sourceId, { onlyWatchIds: [watch.id], now, waitForSourceMs: WAIT_FOR_SOURCE_MS });
      if (outcome === 'busy') throw new SourceBusyError(sourceId);
    }
  }

  const [findings, coverage, silences, baseline] = await Promise.all([
    runtime.findings.list(watch.id),
    runtime.store.sourceHealth(watch.id),
    runtime.heard.silences(watch),
    runtime.store.baseline(watch.id),
  ]);
  const { verdict, reasons } = decideVerdict(watch, findings, coverage, silences, baseline && baselinedHosts(baseline));
  const closed = await runtime.store.update(watch.id, (current) => {
    if (current.state === 'closed') return undefined;
    current.state = 'closed';
    current.verdict = verdict;
    current.verdict_reasons = reasons;
    current.closed_at = new Date(now).toISOString();
    current.audit.push({ at: current.closed_at, actor: 'containment-watch', action: 'close', detail: verdict });
    return current;
  });
  if (!closed) return;
  runtime.logger.info({ watch_id: watch.id, incident_id: watch.incident_id, verdict, findings: findings.length }, 'watch closed');
  await scheduleSourcePolls(runtime, closed.sources);
  await runtime.queues.publishVerdict(closed.id);
}
