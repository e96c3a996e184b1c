import type { ConnectionEvent } from '../contracts/connection-event.js';
import type { Finding } from '../contracts/finding.js';
import type { Assessment } from '../detect/types.js';
import { mergeFinding, toFindings, type MergedFinding } from './merge-finding.js';

/** Counts of what the detector said about the watched events. */
export interface AssessmentCounts {
  finding: number;
  suppressed: number;
  normal: number;
  ignored: number;
}

/** What the live finding store records for one watch, in memory: findings, suppression counts per rule, tallies. */
export class FindingLedger {
  private readonly findings = new Map<string, MergedFinding>();
  private readonly suppressedByRule = new Map<string, number>();
  readonly counts: AssessmentCounts = { finding: 0, suppressed: 0, normal: 0, ignored: 0 };

  apply(event: ConnectionEvent, assessment: Assessment): void {
    this.counts[assessment.type] += 1;
    if (assessment.type === 'suppressed') {
      this.suppressedByRule.set(assessment.ruleId, (this.suppressedByRule.get(assessment.ruleId) ?? 0) + 1);
    } else if (assessment.type === 'finding') {
      this.findings.set(assessment.findingId, mergeFinding(this.findings.get(assessment.findingId), assessment, event.time, event.source));
    }
  }

  list(): Finding[] {
    return toFindings(this.findings.values());
  }

  suppressed(): { count: number; by_rule: Record<string, number> } {
    const byRule = Object.fromEntries([...this.suppressedByRule].sort(([a], [b]) => a.localeCompare(b)));
    return { count: this.counts.suppressed, by_rule: byRule };
  }
}
