import type { WatchView } from '../../contracts/watch.js';
import { hostCoverage, type HostCoverage } from '../../report/describe.js';
import { inlineCode, truncateEscaped } from '../../report/text/mrkdwn.js';
import { SEVERITIES_DESCENDING, SEVERITY_EMOJI, STATE_LABEL } from '../../report/text/labels.js';
import { formatRelative, formatTimeLeft } from '../../report/text/time.js';
import { channelText } from './replies.js';

const COVERAGE: ReadonlyArray<readonly [HostCoverage, string]> = [
  ['ready', '✅ covered'],
  ['no_telemetry', '🔇 no telemetry'],
  ['pending', '⏳ baseline pending'],
  ['unavailable', '⚠️ baseline unavailable'],
];

/** The newest successful poll of any source, as "2m ago". */
function lastPoll(view: WatchView, now: number): string {
  const times = view.coverage.map((health) => health.last_success_at).filter((at): at is string => at !== undefined);
  if (times.length === 0) return 'not polled yet';
  const newest = times.reduce((a, b) => (Date.parse(a) >= Date.parse(b) ? a : b));
  return formatRelative(newest, now);
}

/** One watch in a few mrkdwn lines: the App Home board and `/containment list` both show this. */
export function watchSummary(view: WatchView, now: number): string {
  const title = view.title === undefined ? '' : ` · ${truncateEscaped(view.title, 200)}`;
  const channel = view.slack_channel === undefined ? '' : ` · ${channelText(view.slack_channel)}`;
  const tally = COVERAGE.map(([state, label]) => [label, view.hosts.filter((host) => hostCoverage(view, host) === state).length] as const)
    .filter(([, n]) => n > 0)
    .map(([label, n]) => `${label} ${n}`);
  const severities = SEVERITIES_DESCENDING.filter((severity) => (view.findings.by_severity[severity] ?? 0) > 0).map(
    (severity) => `${SEVERITY_EMOJI[severity]} ${severity} ${view.findings.by_severity[severity] ?? 0}`,
  );
  const lines = [
    `*${inlineCode(view.incident_id, 130)}*${title}`,
    `${STATE_LABEL[view.state]} · ${formatTimeLeft(view.expires_at, now)}${channel}`,
    `*Hosts:* ${view.hosts.length}${tally.length > 0 ? ` (${tally.join(' · ')})` : ''}`,
    `*Findings:* ${severities.length > 0 ? severities.join(' · ') : 'none'} · *Last poll:* ${lastPoll(view, now)}`,
  ];
  if (view.slack_delivery !== undefined) lines.push(`⚠️ Slack: not in ${channelText(view.slack_delivery.channel)}, posting in ${channelText(view.slack_delivery.fallback_channel)}`);
  return lines.join('\n');
}
