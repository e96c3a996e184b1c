import { SEVERITY_ORDER, type Severity } from '../../contracts/common.js';
import type { FindingKind } from '../../contracts/finding.js';
import type { Verdict, WatchState } from '../../contracts/watch.js';

export const SEVERITY_EMOJI: Readonly<Record<Severity, string>> = {
  critical: '🚨',
  high: '🔴',
  medium: '🟠',
  low: '🟡',
  info: '🔵',
};

export const severityLabel = (severity: Severity): string => `${severity.charAt(0).toUpperCase()}${severity.slice(1)}`;

/** Highest first. */
export const SEVERITIES_DESCENDING: readonly Severity[] = [...SEVERITY_ORDER].reverse();

export const KIND_LABEL: Readonly<Record<FindingKind, string>> = {
  blocked_retry: 'still trying a blocked indicator',
  uncommon_port: 'uncommon port or protocol',
  quiet_process: 'process with no network history',
  new_process: 'process first run after the block',
  concealed_command: 'command line hides its payload',
  new_destination: 'new destination',
  protocol_shift: 'protocol shift',
  beaconing: 'beaconing',
};

export const STATE_LABEL: Readonly<Record<WatchState, string>> = {
  baseline: '⏳ taking the baseline',
  watching: '👀 watching',
  closed: '🏁 closed',
};

export const VERDICT_LABEL: Readonly<Record<Verdict, string>> = {
  held: '✅ Containment held',
  breached: '🚨 Containment breached',
  inconclusive: '⚠️ Inconclusive (telemetry gaps)',
};
