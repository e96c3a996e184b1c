import { severityRank } from '../contracts/common.js';
import { byReportOrder, retryRateOf, type Finding } from '../contracts/finding.js';
import type { FindingAssessment } from '../detect/types.js';

/** Attempts on a blocked indicator per UTC minute, and the figures the live store derives from them. */
interface RetryBins {
  perMinute: Map<number, number>;
  minutes: number;
  peak: number;
  peak_ms: number;
}

/** A finding while events are still merged into it: times as epoch ms, as the live store keeps them. */
export type MergedFinding = Omit<Finding, 'first_seen' | 'last_seen' | 'retry_rate'> & { first_ms: number; last_ms: number; retry?: RetryBins };

export type { FindingAssessment };

const union = <T>(into: readonly T[], items: readonly T[]): T[] => [...into, ...items.filter((item) => !into.includes(item))];

/**
 * One event's finding merged into the finding of its tuple, with exactly the live store's semantics
 * (`src/watch/apply-events-script.ts`): the first event creates it (count 1, open); each repeat adds one to the
 * count, widens first/last seen, unions kinds and sources, takes the higher severity, takes the higher score
 * together with that event's reasons (on a tie, the reasons of an event at least as recent as any before, whose
 * figures are current), marks it connected once any event got through, and bins attempts on a blocked indicator
 * per UTC minute.
 */
export function mergeFinding(stored: MergedFinding | undefined, incoming: FindingAssessment, time: number, source: string): MergedFinding {
  const { finding } = incoming;
  const retry = finding.kind.includes('blocked_retry') ? countRetry(stored?.retry, time) : stored?.retry;
  if (!stored) {
    return { ...finding, id: incoming.findingId, count: 1, first_ms: time, last_ms: time, status: 'open', sources: [source], ...(retry ? { retry } : {}) };
  }
  const takeReasons = finding.score > stored.score || (finding.score === stored.score && time >= stored.last_ms);
  return {
    ...stored,
    count: stored.count + 1,
    first_ms: Math.min(stored.first_ms, time),
    last_ms: Math.max(stored.last_ms, time),
    kind: union(stored.kind, finding.kind),
    sources: union(stored.sources, [source]),
    severity: severityRank(finding.severity) > severityRank(stored.severity) ? finding.severity : stored.severity,
    score: Math.max(finding.score, stored.score),
    reasons: takeReasons ? finding.reasons : stored.reasons,
    connected: stored.connected || finding.connected,
    ...(retry ? { retry } : {}),
  };
}

/** One more attempt in its UTC minute; the peak is the largest bin, the earliest minute on a tie, as in the store. */
function countRetry(bins: RetryBins | undefined, time: number): RetryBins {
  const minute = Math.floor(time / 60_000) * 60_000;
  const perMinute = bins?.perMinute ?? new Map<number, number>();
  const inMinute = (perMinute.get(minute) ?? 0) + 1;
  perMinute.set(minute, inMinute);
  let { minutes = 0, peak = 0, peak_ms = minute } = bins ?? {};
  if (inMinute === 1) minutes += 1;
  if (inMinute > peak || (inMinute === peak && minute < peak_ms)) {
    peak = inMinute;
    peak_ms = minute;
  }
  return { perMinute, minutes, peak, peak_ms };
}

/** The contract form, ordered as the live store lists findings: most severe first, then oldest first. */
export function toFindings(merged: Iterable<MergedFinding>): Finding[] {
  return [...merged]
    .map(({ first_ms, last_ms, retry, ...finding }) => ({
      ...finding,
      first_seen: new Date(first_ms).toISOString(),
      last_seen: new Date(last_ms).toISOString(),
      ...(retry ? { retry_rate: retryRateOf(retry) } : {}),
    }))
    .sort(byReportOrder);
}
