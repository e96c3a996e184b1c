import { performance } from 'node:perf_hooks';
import type { ConnectionEvent } from '../contracts/connection-event.js';
import type { Finding } from '../contracts/finding.js';
import type { SourceHealth, Watch } from '../contracts/watch.js';
import { baselinedHosts, buildBaseline, compileBaseline } from '../detect/baseline.js';
import { createDetector } from '../detect/detector.js';
import { createHostMatcher, hostLabel } from '../contracts/host-identity.js';
import type { DetectionSettings } from '../detect/settings.js';
import type { Assessment } from '../detect/types.js';
import { heardBitmap, longestSilence, type Silence } from '../rules/silence.js';
import { decideVerdict } from '../rules/verdict.js';
import { BaselineRows } from './baseline-rows.js';
import { CoverageTracker, type SourceSpan } from './coverage.js';
import { FindingLedger, type AssessmentCounts } from './finding-ledger.js';
import { replayWindow } from './replay-window.js';
import { splitTelemetry, type BacktestInput } from './split-telemetry.js';
import { watchOf, type BacktestRequest, type WatchDefaults } from './watch-of.js';

export type { BacktestInput };

export interface BacktestOptions {
  request: BacktestRequest;
  detection: DetectionSettings;
  defaults: WatchDefaults;
  inputs: readonly BacktestInput[];
  /** Sees every judged event and what the detector said (the evaluation labels attack connections with it). */
  onAssessed?: (event: ConnectionEvent, assessment: Assessment) => void;
}

export interface BacktestStats {
  /** Events the readers produced, all inputs. */
  eventsRead: number;
  /** Window events whose (source, id) came earlier: the live store records an event once. */
  duplicates: number;
  baseline: {
    events: number;
    /** Aggregated rows, all hosts; `excludedRows` of them went to a blocked indicator or stayed on the host. */
    rows: number;
    excludedRows: number;
    environmentHosts: number;
    from: number | null;
    to: number | null;
  };
  /** Pre-block events older than the baseline window (`watch.baseline`). */
  beforeBaseline: number;
  window: { events: number; otherHosts: number; afterEnd: number; assessed: AssessmentCounts };
  timings: { readMs: number; baselineMs: number; assessMs: number };
}

export interface BacktestResult {
  watch: Watch;
  findings: Finding[];
  suppressed: { count: number; by_rule: Record<string, number> };
  coverage: SourceHealth[];
  sources: SourceSpan[];
  stats: BacktestStats;
}

/**
 * The backtest: what the live watch would have concluded from this telemetry. Pre-block events become baseline
 * rows, the rest of the window is judged in time order, poll by poll, by the same detector, findings merge as the
 * live store merges them, and the verdict comes from the same `decideVerdict`.
 */
export async function runBacktest(options: BacktestOptions): Promise<BacktestResult> {
  const { request, detection, defaults } = options;
  const draft = watchOf(request, defaults, []);
  const blockedAt = Date.parse(draft.blocked_at);
  const windowEnd = Date.parse(draft.expires_at);
  const baselineFrom = blockedAt - draft.baseline_ms;
  const matchHost = createHostMatcher(draft.hosts);
  const rows = new BaselineRows(matchHost);
  const coverage = new CoverageTracker();

  const readStart = performance.now();
  const split = await splitTelemetry(options.inputs, { baselineFrom, blockedAt, windowEnd }, matchHost, rows, coverage);

  const baselineStart = performance.now();
  const entries = rows.entries();
  const snapshot = buildBaseline(entries, draft.hosts, detection, { blocked: draft.blocked, window: { from: baselineFrom, to: blockedAt } });
  let clock = blockedAt;
  const detector = createDetector({
    context: { watchId: draft.id, incidentId: draft.incident_id, blocked: draft.blocked, hosts: draft.hosts, blockedAt },
    baseline: compileBaseline(snapshot),
    settings: detection,
    // Allow-rules expire as they would have for the live watch: at the time of each poll.
    now: () => clock,
  });

  const assessStart = performance.now();
  const watched: ConnectionEvent[] = [];
  const heard = new Map<string, number[]>();
  for (const { event, host } of split.watched.sort((a, b) => a.event.time - b.event.time)) {
    coverage.watched(event, host);
    watched.push(event);
    const label = hostLabel(host).toLowerCase();
    const times = heard.get(label);
    if (times) times.push(event.time);
    else heard.set(label, [event.time]);
  }
  const ledger = new FindingLedger();
  await replayWindow({
    detector,
    events: watched,
    from: blockedAt,
    to: windowEnd,
    pollIntervalMs: Math.max(1_000, draft.poll_interval_ms),
    setClock: (time) => {
      clock = time;
    },
    visit: (event, assessment) => {
      ledger.apply(event, assessment);
      options.onAssessed?.(event, assessment);
    },
  });
  const assessEnd = performance.now();

  const watch = watchOf(request, defaults, split.sources);
  const findings = ledger.list();
  const health = coverage.health(watch.sources, { from: blockedAt, to: windowEnd });
  const silences = new Map<string, Silence>();
  for (const [label, times] of heard) {
    const silence = longestSilence(heardBitmap(times, blockedAt), blockedAt, windowEnd);
    if (silence) silences.set(label, silence);
  }
  const verdict = decideVerdict(watch, findings, health, silences, baselinedHosts(snapshot));
  watch.verdict = verdict.verdict;
  watch.verdict_reasons = verdict.reasons;

  return {
    watch,
    findings,
    suppressed: ledger.suppressed(),
    coverage: health,
    sources: coverage.list(),
    stats: {
      eventsRead: split.eventsRead,
      duplicates: split.duplicates,
      baseline: {
        events: rows.events,
        rows: entries.length,
        excludedRows: snapshot.excluded_rows,
        environmentHosts: snapshot.environment.host_count,
        from: snapshot.window.from,
        to: snapshot.window.to,
      },
      beforeBaseline: split.beforeBaseline,
      window: { events: split.windowEvents, otherHosts: split.otherHosts, afterEnd: split.afterEnd, assessed: ledger.counts },
      timings: { readMs: baselineStart - readStart, baselineMs: assessStart - baselineStart, assessMs: assessEnd - assessStart },
    },
  };
}
