import type { ScenarioOutcome } from './evaluate.js';
import { isRetryExpectation, type Scenario } from './scenario.js';

/**
 * The targets for false findings, per 100 host-days of telemetry actually present. They apply to the real
 * recordings (the benign lab background) and, separately, to the generated traffic; either missing one fails.
 */
export const TARGETS = { falseMediumPer100HostDays: 1, falseLowPer100HostDays: 10 } as const;

export interface RateCheck {
  count: number;
  /** Per 100 host-days; Infinity when there were false findings but no telemetry to count them against. */
  per100HostDays: number;
  target: number;
  ok: boolean;
}

export interface GroupSummary {
  data: Scenario['data'];
  scenarios: number;
  hostDays: number;
  nominalHostDays: number;
  medium: RateCheck;
  low: RateCheck;
}

export interface EvaluationSummary {
  groups: GroupSummary[];
  /** Expected findings met at their declared severity: fallback channels only, and retries of the blocked C2 too. */
  recall: { fallback: { met: number; total: number }; all: { met: number; total: number } };
  verdicts: { ok: number; total: number };
  attack: { connections: number; caught: number; caughtMediumOrAbove: number };
  /** Every reason the evaluation fails: per scenario, then the targets. */
  failures: string[];
  passed: boolean;
}

function rate(count: number, hostDays: number, target: number): RateCheck {
  const per100HostDays = count === 0 ? 0 : hostDays > 0 ? (100 * count) / hostDays : Infinity;
  return { count, per100HostDays, target, ok: per100HostDays <= target };
}

export function summarize(outcomes: readonly ScenarioOutcome[]): EvaluationSummary {
  const groups: GroupSummary[] = [];
  for (const data of ['recording', 'synthetic'] as const) {
    const group = outcomes.filter((outcome) => outcome.scenario.data === data);
    if (group.length === 0) continue;
    const hostDays = group.reduce((sum, outcome) => sum + outcome.hostDays, 0);
    const medium = group.reduce((sum, outcome) => sum + outcome.falseFindings.mediumOrAbove.length, 0);
    const low = group.reduce((sum, outcome) => sum + outcome.falseFindings.low.length, 0);
    groups.push({
      data,
      scenarios: group.length,
      hostDays,
      nominalHostDays: group.reduce((sum, outcome) => sum + outcome.nominalHostDays, 0),
      medium: rate(medium, hostDays, TARGETS.falseMediumPer100HostDays),
      low: rate(low, hostDays, TARGETS.falseLowPer100HostDays),
    });
  }
  const expectations = outcomes.flatMap((outcome) => outcome.expectations);
  const fallback = expectations.filter((result) => !isRetryExpectation(result.expected));
  const met = (list: typeof expectations) => list.filter((result) => result.status === 'met').length;
  const failures = outcomes.flatMap((outcome) => outcome.failures.map((failure) => `${outcome.scenario.name}: ${failure}`));
  for (const group of groups) {
    const label = group.data === 'recording' ? 'real recordings' : 'generated traffic';
    for (const [severity, check] of [['medium+', group.medium], ['low', group.low]] as const) {
      if (!check.ok) {
        failures.push(
          `target missed on ${label}: ${check.count} ${severity} false findings over ${group.hostDays.toFixed(3)} host-days = ` +
            `${formatRate(check.per100HostDays)} per 100 host-days (target <= ${check.target})`,
        );
      }
    }
  }
  const sum = (pick: (outcome: ScenarioOutcome) => number) => outcomes.reduce((total, outcome) => total + pick(outcome), 0);
  return {
    groups,
    recall: { fallback: { met: met(fallback), total: fallback.length }, all: { met: met(expectations), total: expectations.length } },
    verdicts: { ok: outcomes.filter((outcome) => outcome.verdict.ok).length, total: outcomes.length },
    attack: {
      connections: sum((outcome) => outcome.attack.connections),
      caught: sum((outcome) => outcome.attack.caught),
      caughtMediumOrAbove: sum((outcome) => outcome.attack.caughtMediumOrAbove),
    },
    failures,
    passed: failures.length === 0,
  };
}

export const formatRate = (value: number): string => (Number.isFinite(value) ? value.toFixed(1) : 'infinite');
