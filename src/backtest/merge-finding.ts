import { severityRank } from '../contracts/common.js';
import type { Finding } from '../contracts/finding.js';
import type { FindingAssessment } from '../detect/types.js';

/** A finding while events are still merged into it: times as epoch ms, as the live store keeps them. */
export type MergedFinding = Omit<Finding, 'first_seen' | 'last_seen'> & { first_ms: number; last_ms: number };

export type { FindingAssessment };

const union = <T>(into: readonly T[], items: readonly T[]): T[] => [...into, ...items.filter((item) => !into.includes(item))];

/**
 * One event's finding merged into the finding of its tuple, with exactly the live store's semantics
 * (`src/watch/apply-events-script.ts`): the first event creates it (count 1, open); each repeat adds one to the
 * count, widens first/last seen, unions kinds and sources, takes the higher severity, takes the higher score
 * together with that event's reasons (on a tie, the reasons of an event at least as recent as any before, whose
 * figures are current), and marks it connected once any event got through.
 */
export function mergeFinding(stored: MergedFinding | undefined, incoming: FindingAssessment, time: number, source: string): MergedFinding {
  const { finding } = incoming;
  if (!stored) {
    return { ...finding, id: incoming.findingId, count: 1, first_ms: time, last_ms: time, status: 'open', sources: [source] };
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
  };
}

/** The contract form, ordered as the live store lists findings: most severe first, then oldest first. */
export function toFindings(merged: Iterable<MergedFinding>): Finding[] {
  return [...merged]
    .map(({ first_ms, last_ms, ...finding }) => ({
      ...finding,
      first_seen: new Date(first_ms).toISOString(),
      last_seen: new Date(last_ms).toISOString(),
    }))
    .sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.first_seen.localeCompare(b.first_seen));
}
