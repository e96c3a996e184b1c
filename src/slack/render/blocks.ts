import type { Severity } from '../../contracts/common.js';
import type { Finding } from '../../contracts/finding.js';
import type { PollPace, SourceHealth, SourcePause, Verdict, WatchView } from '../../contracts/watch.js';
import { FAILURE_SUMMARY } from '../../lib/failure.js';
import { byImportance, destinationParts, hostCoverage, processLabel, retryRateText, type HostCoverage } from '../../report/describe.js';
import { hostIdentity, hostLabel } from '../../contracts/host-identity.js';
import { codeBlock, escapeMrkdwn, inlineCode, joinCapped, joinLines, truncateEscaped, utcText } from '../../report/text/mrkdwn.js';
import {
  KIND_LABEL,
  SEVERITIES_DESCENDING,
  SEVERITY_EMOJI,
  STATE_LABEL,
  VERDICT_LABEL,
  severityLabel,
} from '../../report/text/labels.js';
import { activeClosing, closingStatus } from '../../report/text/closing-status.js';
import { formatDurationShort, formatRelative, formatTimeLeft } from '../../report/text/time.js';
import {
  SLACK_LIMITS,
  blockId,
  context,
  divider,
  header,
  section,
  slackMessage,
  withActions,
  type ActionsBuilder,
  type Block,
  type SlackMessage,
} from './block-kit.js';
import { markLines } from './marks.js';

export interface BuildOptions {
  /** Epoch ms used for "time left" and "3m ago". @defaultValue `Date.now()` */
  now?: number;
  /**
   * Extra blocks appended to the message (the seam for Acknowledge / Mark benign / Extend / Stop buttons). Button
   * values must carry ids only: the context gives the watch, incident and finding ids.
   */
  actions?: ActionsBuilder;
}

const SECTION_MAX = SLACK_LIMITS.sectionText;
/** Top-level `text` is a notification preview; Slack truncates far above this, but long previews help no one. */
const FALLBACK_MAX = 600;
const HOSTS_SHOWN_BUDGET = 2_200;
const DAY_MS = 86_400_000;

const COVERAGE_EMOJI: Readonly<Record<HostCoverage, string>> = {
  unavailable: '⚠️',
  no_telemetry: '🔇',
  quiet: '📴',
  pending: '⏳',
  ready: '✅',
};
const COVERAGE_LABEL: Readonly<Record<HostCoverage, string>> = {
  unavailable: 'baseline unavailable',
  no_telemetry: 'no telemetry yet',
  quiet: 'gone quiet',
  pending: 'baseline pending',
  ready: 'covered',
};
/** Problems first: a responder needs to see the uncovered hosts without scrolling through 500 healthy ones. */
const COVERAGE_ORDER: readonly HostCoverage[] = ['unavailable', 'no_telemetry', 'quiet', 'pending', 'ready'];

const utc = (iso: string): string => utcText(iso, 100);

const count = (n: number, noun: string): string => `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;

function severityCounts(bySeverity: Partial<Record<Severity, number>>): string[] {
  return SEVERITIES_DESCENDING.filter((severity) => (bySeverity[severity] ?? 0) > 0).map(
    (severity) => `${SEVERITY_EMOJI[severity]} ${severity} ${bySeverity[severity] ?? 0}`,
  );
}

function findingsLine(view: WatchView): string {
  const parts = severityCounts(view.findings.by_severity);
  if (view.findings.total === 0) return '*Findings:* none so far';
  return `*Findings:* ${count(view.findings.total, 'finding')}: ${parts.join(' · ')}`;
}

function suppressedLine(view: WatchView): string | undefined {
  if (view.suppressed.count === 0) return undefined;
  const rules = Object.entries(view.suppressed.by_rule)
    .sort(([, a], [, b]) => b - a)
    .map(([rule, n]) => `${inlineCode(rule, 80)} ${n}`);
  const byRule = rules.length > 0 ? ` (${joinCapped(rules, 600)})` : '';
  return `*Suppressed as expected:* ${count(view.suppressed.count, 'connection')}${byRule}`;
}

function stateLines(view: WatchView, now: number): string[] {
  const lines: string[] = [];
  if (view.title !== undefined) lines.push(`*${truncateEscaped(view.title, 500)}*`);
  if (view.state === 'closed') {
    const closedAt = view.closed_at === undefined ? '' : ` ${utc(view.closed_at)}`;
    const verdict = view.verdict === undefined ? '' : ` · *Verdict:* ${VERDICT_LABEL[view.verdict]}`;
    lines.push(`*State:* ${STATE_LABEL.closed}${closedAt}${verdict}`);
    if (view.stop_reason !== undefined) lines.push(`*Stopped:* ${truncateEscaped(view.stop_reason, 300)}`);
  } else {
    const closing = activeClosing(view);
    lines.push(
      closing
        ? `*State:* ${escapeMrkdwn(closingStatus(closing, now))} · ended ${utc(view.expires_at)}`
        : `*State:* ${STATE_LABEL[view.state]} · ends ${utc(view.expires_at)} (${formatTimeLeft(view.expires_at, now)})`,
    );
  }
  const blocked = view.blocked.map((indicator) => inlineCode(indicator.value, 80));
  const control = view.control === undefined ? '' : ` by ${inlineCode(view.control, 100)}`;
  lines.push(`*Blocked:* ${joinCapped(blocked, 1_000)} at ${utc(view.blocked_at)}${control}`);
  lines.push(
    `*Window:* ${formatDurationShort(view.duration_ms)} · polling every ${formatDurationShort(view.poll_interval_ms)} · baseline ${formatDurationShort(view.baseline_ms)}`,
  );
  if (view.recovery !== undefined) lines.push(`*Recovered:* ${recoveryLine(view.recovery)}`);
  return lines;
}

function recoveryLine(recovery: NonNullable<WatchView['recovery']>): string {
  const runs = [
    recovery.baseline_redrives > 0 ? `baseline re-run ${recovery.baseline_redrives}×` : undefined,
    recovery.close_redrives > 0 ? `close re-run ${recovery.close_redrives}×` : undefined,
  ].filter((run) => run !== undefined);
  return `${runs.join(', ') || 'lifecycle repaired'} · last: ${truncateEscaped(recovery.last_reason, 300)} (${utc(recovery.last_at)})`;
}

function hostsText(view: WatchView): string {
  const coverage = view.hosts.map((host) => ({ host, state: hostCoverage(view, host) }));
  const tally = COVERAGE_ORDER.map((state) => ({ state, n: coverage.filter((entry) => entry.state === state).length }))
    .filter(({ n }) => n > 0)
    .map(({ state, n }) => `${COVERAGE_EMOJI[state]} ${COVERAGE_LABEL[state]} ${n}`);
  const ordered = [...coverage].sort((a, b) => COVERAGE_ORDER.indexOf(a.state) - COVERAGE_ORDER.indexOf(b.state));
  const lastHeard = new Map(view.quiet_hosts.map((quiet) => [quiet.host.toLowerCase(), quiet.last_heard]));
  const names = ordered.map(({ host, state }) => {
    const heard = state === 'quiet' ? lastHeard.get(hostIdentity(host)) : undefined;
    return `${COVERAGE_EMOJI[state]} ${inlineCode(hostLabel(host), 80)}${heard === undefined ? '' : ` (silent since ${utc(heard)})`}`;
  });
  return [`*Hosts (${view.hosts.length}):* ${tally.join(' · ')}`, joinCapped(names, HOSTS_SHOWN_BUDGET, '  ')].join('\n');
}

function sourceLine(view: WatchView, name: string, health: SourceHealth | undefined, now: number): string {
  if (health === undefined) return `⏳ ${inlineCode(name, 80)} not polled yet`;
  const failing = health.consecutive_failures > 0;
  const parts = [`${failing ? '⚠️' : '✅'} ${inlineCode(name, 80)}`];
  parts.push(health.last_success_at === undefined ? 'no successful poll yet' : `polled ${formatRelative(health.last_success_at, now)}`);
  if (health.lag_ms !== undefined) parts.push(`lag ${formatDurationShort(health.lag_ms)}`);
  parts.push(count(health.events_seen, 'event'));
  parts.push(`${health.hosts_seen.length}/${view.hosts.length} hosts seen`);
  if (health.gaps.length > 0) parts.push(count(health.gaps.length, 'gap'));
  const invisible = health.hosts_invisible ?? [];
  if (invisible.length > 0) {
    parts.push(`cannot see ${joinCapped(invisible.map((entry) => `${inlineCode(entry.host, 80)} (${truncateEscaped(entry.reason, 120)})`), 600, ', ')}`);
  }
  let line = parts.join(' · ');
  if (failing) line += ` · ${count(health.consecutive_failures, 'failure')} in a row`;
  if (health.paused !== undefined) line += `\n      ${pausedLine(name, health.paused, now)}`;
  if (health.slowed !== undefined) line += `\n      ${slowedLine(name, health.slowed)}`;
  if (health.last_error !== undefined) {
    const when = health.last_error_at === undefined ? '' : ` (${formatRelative(health.last_error_at, now)})`;
    line += `\n      last error${when}: ${truncateEscaped(health.last_error, 300)}`;
  }
  return line;
}

/** "⛔ `mde-prod`: credentials rejected since 09:12 UTC · polling paused, next try in 4m": what a responder must fix. */
function pausedLine(name: string, paused: SourcePause, now: number): string {
  const since = now - Date.parse(paused.since) < DAY_MS ? `${utc(paused.since).slice(11, 16)} UTC` : utc(paused.since);
  const nextTry = Date.parse(paused.next_probe_at) > now ? formatRelative(paused.next_probe_at, now) : 'at the next poll';
  return `⛔ ${inlineCode(name, 80)}: ${FAILURE_SUMMARY[paused.code]} since ${since} · polling paused, next try ${nextTry}`;
}

/** "🐢 `mde-prod` polled every 1m 20s, not 10s as asked: 60 queries a poll, budget 45/min": why findings come later. */
function slowedLine(name: string, slowed: PollPace): string {
  return `🐢 ${inlineCode(name, 80)} polled every ${formatDurationShort(slowed.every_ms)}, not ${formatDurationShort(slowed.asked_ms)} as asked: ${slowed.queries_per_poll.toLocaleString('en-US')} ${slowed.queries_per_poll === 1 ? 'query' : 'queries'} a poll, budget ${slowed.budget_per_minute}/min`;
}

function sourcesText(view: WatchView, now: number): string {
  const names = [...new Set([...view.sources, ...view.coverage.map((health) => health.source)])];
  const lines = names.map((name) =>
    sourceLine(
      view,
      name,
      view.coverage.find((health) => health.source === name),
      now,
    ),
  );
  const title = `*Sources (${names.length}):*`;
  return joinLines([title, ...lines], SECTION_MAX, 'sources');
}

/** The verdict's link button; Slack still sends the click to the app, which only acknowledges it. */
export const OPEN_REPORT_ACTION = 'cw_open_report';

/** The Markdown evidence report of a watch, for the incident record. */
export const evidenceReportUrl = (view: Pick<WatchView, 'status_url'>): string => `${view.status_url}/report?format=md`;

function deliveryProblem(view: WatchView, id: string): Block[] {
  const problem = view.slack_delivery;
  if (problem === undefined) return [];
  return [
    section(
      id,
      `⚠️ *Slack:* could not post in ${inlineCode(problem.channel, 40)} (${inlineCode(problem.problem, 60)}), so this watch posts here instead. ` +
        'Invite the app to the incident channel, or check the channel id the webhook sent.',
    ),
  ];
}

/** The status message: edited in place for the life of the watch. */
export function statusMessage(view: WatchView, options: BuildOptions = {}): SlackMessage {
  const now = options.now ?? Date.now();
  const id = (suffix?: string) => (suffix === undefined ? blockId('status', view.id) : blockId('status', view.id, suffix));
  const findingsSection = [findingsLine(view), suppressedLine(view)].filter((line): line is string => line !== undefined);
  const blocks: Block[] = [
    header(id('header'), `🛡️ Containment watch · ${view.incident_id}`),
    section(id(), joinLines(stateLines(view, now), SECTION_MAX)),
    section(id('findings'), joinLines(findingsSection, SECTION_MAX)),
    section(id('hosts'), hostsText(view)),
    section(id('sources'), sourcesText(view, now)),
    ...deliveryProblem(view, id('delivery')),
    context(id('meta'), [
      `Watch ${inlineCode(view.id, 100)} · opened by ${inlineCode(view.opened_by, 100)} · updated ${utc(view.updated_at)}`,
      `Details: ${truncateEscaped(view.status_url, 500)}`,
    ]),
  ];
  const closing = activeClosing(view);
  const state =
    view.state === 'closed'
      ? `closed${view.verdict === undefined ? '' : `, ${view.verdict}`}`
      : closing
        ? closingStatus(closing, now)
        : `${view.state}, ${formatTimeLeft(view.expires_at, now)}`;
  const text = truncateEscaped(
    `Containment watch ${view.incident_id}: ${state}; ${count(view.hosts.length, 'host')}, ${count(view.findings.total, 'finding')}`,
    FALLBACK_MAX,
  );
  return slackMessage(
    text,
    withActions(
      blocks,
      { kind: 'status', watchId: view.id, incidentId: view.incident_id, closed: view.state === 'closed' },
      options.actions,
    ),
  );
}

function outcomeLine(finding: Finding): string {
  return finding.connected
    ? '*Outcome:* ⚠️ connected (at least one connection was allowed through)'
    : '*Outcome:* 🛑 never seen getting through (blocked, failed, or the source does not say)';
}

/** One finding: a threaded reply under the status message, edited when the finding is seen again. */
export function findingMessage(view: WatchView, finding: Finding, options: BuildOptions = {}): SlackMessage {
  const id = (suffix?: string) => (suffix === undefined ? blockId('finding', finding.id) : blockId('finding', finding.id, suffix));
  const kinds = finding.kind.map((kind) => KIND_LABEL[kind]).join(' · ');
  const status =
    finding.status === 'open' ? '' : finding.status === 'acknowledged' ? ' · ✔️ acknowledged' : ' · 🟢 marked benign';

  const summary = [
    `${SEVERITY_EMOJI[finding.severity]} *${severityLabel(finding.severity)}* finding on ${inlineCode(finding.host, 200)}${status}`,
    `*What:* ${kinds}`,
    ...markLines(finding),
  ];

  const processLines = [`*Process:* ${inlineCode(processLabel(finding), 200)}`];
  if (finding.process.path !== undefined && finding.process.path !== finding.process.name) {
    processLines.push(`*Path:* ${inlineCode(finding.process.path, 600)}`);
  }
  const identity: string[] = [];
  if (finding.process.user !== undefined) identity.push(`*User:* ${inlineCode(finding.process.user, 200)}`);
  if (finding.process.pid !== undefined) identity.push(`*PID:* ${finding.process.pid}`);
  if (finding.process.sha1 !== undefined) identity.push(`*SHA1:* ${inlineCode(finding.process.sha1, 80)}`);
  if (identity.length > 0) processLines.push(identity.join(' · '));
  if (finding.process.cmd_line !== undefined) processLines.push(`*Command line:*\n${codeBlock(finding.process.cmd_line, 1_500)}`);

  const dst = destinationParts(finding);
  const dstHost = dst.hostname === undefined ? '' : ` (${inlineCode(dst.hostname, 260)})`;
  const network = [
    `*Destination:* ${inlineCode(dst.address, 260)}${dstHost} port ${inlineCode(dst.port, 60)}`,
    outcomeLine(finding),
    `*Seen:* ${count(finding.count, 'time')} · first ${utc(finding.first_seen)} · last ${utc(finding.last_seen)}`,
  ];
  if (finding.retry_rate) network.push(`*Retries:* ${retryRateText(finding.retry_rate, utc)}`);
  if (finding.sources.length > 0) {
    network.push(`*Sources:* ${joinCapped(finding.sources.map((source) => inlineCode(source, 80)), 500)}`);
  }

  const reasons = finding.reasons.map((reason) => `• ${truncateEscaped(reason, 500)}`);
  const blocks: Block[] = [
    section(id(), joinLines(summary, SECTION_MAX)),
    section(id('process'), joinLines(processLines, SECTION_MAX)),
    section(id('network'), joinLines(network, SECTION_MAX)),
  ];
  if (reasons.length > 0) {
    blocks.push(section(id('reasons'), joinLines(['*Why it was flagged:*', ...reasons], SECTION_MAX, 'reasons')));
  }
  blocks.push(
    context(id('meta'), [
      `Incident ${inlineCode(view.incident_id, 130)} · score ${Math.round(finding.score)} · finding ${inlineCode(finding.id, 100)}`,
    ]),
  );

  const text = truncateEscaped(
    `${severityLabel(finding.severity)} finding on ${finding.host}: ${processLabel(finding)} to ${dst.address}:${dst.port} (${view.incident_id})`,
    FALLBACK_MAX,
  );
  return slackMessage(
    text,
    withActions(
      blocks,
      { kind: 'finding', watchId: view.id, incidentId: view.incident_id, findingId: finding.id, status: finding.status, closed: view.state === 'closed' },
      options.actions,
    ),
  );
}

const TOP_FINDINGS = 5;

function verdictSummary(view: WatchView, verdict: Verdict): string {
  const sources = view.coverage.filter((health) => health.gaps.length > 0 || health.consecutive_failures > 0).length;
  const uncovered = view.hosts.filter((host) => hostCoverage(view, host) !== 'ready').length;
  const lines = [
    `*${VERDICT_LABEL[verdict]}* · ${inlineCode(view.incident_id, 130)}${view.title === undefined ? '' : ` ${truncateEscaped(view.title, 300)}`}`,
    `Watched ${count(view.hosts.length, 'host')} for ${formatDurationShort(view.duration_ms)} after the block, with ${count(view.sources.length, 'source')}.`,
    findingsLine(view),
  ];
  const suppressed = suppressedLine(view);
  if (suppressed !== undefined) lines.push(suppressed);
  if (uncovered > 0) lines.push(`*Hosts without full coverage:* ${uncovered}`);
  if (sources > 0) lines.push(`*Sources with gaps or failures:* ${sources}`);
  return joinLines(lines, SECTION_MAX);
}

function topFindingLine(finding: Finding): string {
  const dst = destinationParts(finding);
  const outcome = finding.connected ? 'connected' : 'not through';
  return `${SEVERITY_EMOJI[finding.severity]} ${severityLabel(finding.severity)} · ${inlineCode(finding.host, 100)} · ${inlineCode(processLabel(finding), 120)} → ${inlineCode(`${dst.address}:${dst.port}`, 120)} · ${outcome} · ${finding.count}×`;
}

/** The closing verdict: posted once in the thread and broadcast to the channel. */
export function verdictMessage(view: WatchView, findings: readonly Finding[], options: BuildOptions = {}): SlackMessage {
  const verdict: Verdict = view.verdict ?? 'inconclusive';
  const id = (suffix?: string) => (suffix === undefined ? blockId('verdict', view.id) : blockId('verdict', view.id, suffix));
  const blocks: Block[] = [section(id(), verdictSummary(view, verdict))];
  const reasons = (view.verdict_reasons ?? []).map((reason) => `• ${truncateEscaped(reason, 500)}`);
  if (reasons.length > 0) blocks.push(section(id('reasons'), joinLines(['*Why:*', ...reasons], SECTION_MAX, 'reasons')));
  const top = [...findings].filter((finding) => finding.status !== 'benign').sort(byImportance);
  if (top.length > 0) {
    const lines = top.slice(0, TOP_FINDINGS).map(topFindingLine);
    const more = top.length > TOP_FINDINGS ? [`… and ${top.length - TOP_FINDINGS} more in the thread`] : [];
    blocks.push(divider(), section(id('top'), joinLines(['*Top findings:*', ...lines, ...more], SECTION_MAX, 'findings')));
  }
  blocks.push(context(id('meta'), [`Watch ${inlineCode(view.id, 100)} · details: ${truncateEscaped(view.status_url, 500)}`]));
  blocks.push({
    type: 'actions',
    block_id: id('evidence'),
    elements: [{ type: 'button', action_id: OPEN_REPORT_ACTION, text: { type: 'plain_text', text: '📄 Evidence report', emoji: true }, url: evidenceReportUrl(view) }],
  });
  const text = truncateEscaped(
    `${VERDICT_LABEL[verdict]} for ${view.incident_id}: ${count(view.findings.total, 'finding')}`,
    FALLBACK_MAX,
  );
  return slackMessage(
    text,
    withActions(blocks, { kind: 'verdict', watchId: view.id, incidentId: view.incident_id }, options.actions),
  );
}
