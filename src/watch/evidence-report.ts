import { formatDuration } from '../contracts/duration.js';
import type { Finding } from '../contracts/finding.js';
import { hostLabel } from '../contracts/host-identity.js';
import type { SourceHealth, WatchView } from '../contracts/watch.js';
import { retryRateText } from '../report/describe.js';

/**
 * The evidence an incident commander files with the incident: the same shape as the backtest's JSON output
 * (DESIGN "Backtest (offline) contract"), plus the watch's audit trail.
 */
export function evidenceReport(view: WatchView, findings: readonly Finding[]) {
  return {
    verdict: view.state === 'closed' ? view.verdict : undefined,
    verdict_reasons: view.verdict_reasons ?? [],
    watch: {
      id: view.id,
      incident_id: view.incident_id,
      title: view.title,
      state: view.state,
      blocked: view.blocked,
      blocked_at: view.blocked_at,
      expires_at: view.expires_at,
      closed_at: view.closed_at,
      stop_reason: view.stop_reason,
      hosts: view.hosts,
      sources: view.sources,
      opened_by: view.opened_by,
    },
    findings: findings.map((finding) => ({
      id: finding.id,
      kind: finding.kind,
      severity: finding.severity,
      score: finding.score,
      reasons: finding.reasons,
      host: finding.host,
      process: finding.process,
      dst: finding.dst,
      protocol: finding.protocol,
      connected: finding.connected,
      first_seen: finding.first_seen,
      last_seen: finding.last_seen,
      count: finding.count,
      ...(finding.retry_rate ? { retry_rate: finding.retry_rate } : {}),
      status: finding.status,
    })),
    suppressed: view.suppressed,
    coverage: view.coverage,
    audit: view.audit,
    generated_at: new Date().toISOString(),
  };
}
export type EvidenceReport = ReturnType<typeof evidenceReport>;

/** Markdown cells hold telemetry: pipes, backticks and line breaks must not break the table. */
const cell = (text: string | number | undefined) =>
  String(text ?? '').replace(/[\r\n]+/g, ' ').replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/`/g, "'").replace(/</g, '&lt;');

export function evidenceMarkdown(report: EvidenceReport): string {
  const { watch } = report;
  const window = formatDuration(Math.max(0, Date.parse(watch.expires_at) - Date.parse(watch.blocked_at)));
  const lines = [
    `# Containment watch ${cell(watch.incident_id)}${watch.title ? `: ${cell(watch.title)}` : ''}`,
    '',
    `**Verdict: ${report.verdict ?? `not yet (${watch.state})`}**`,
    '',
    ...report.verdict_reasons.map((reason) => `- ${cell(reason)}`),
    '',
    '## Watch',
    '',
    `| | |`,
    `|---|---|`,
    `| Watch id | ${cell(watch.id)} |`,
    `| Blocked | ${watch.blocked.map((indicator) => `${indicator.type} ${cell(indicator.value)}`).join(', ')} |`,
    `| Blocked at | ${watch.blocked_at} |`,
    `| Window | ${window}, until ${watch.expires_at} |`,
    `| Closed at | ${watch.closed_at ?? '-'}${watch.stop_reason ? ` (stopped: ${cell(watch.stop_reason)})` : ''} |`,
    `| Hosts | ${watch.hosts.length}: ${watch.hosts.map((host) => cell(hostLabel(host))).join(', ')} |`,
    `| Sources | ${watch.sources.map(cell).join(', ')} |`,
    `| Opened by | ${cell(watch.opened_by)} |`,
    '',
    `## Findings (${report.findings.length})`,
    '',
  ];
  if (report.findings.length === 0) lines.push('No findings.', '');
  else {
    lines.push('| Severity | Kind | Host | Process | Destination | Count | First seen | Last seen | Status |', '|---|---|---|---|---|---|---|---|---|');
    for (const finding of report.findings) {
      const destination = `${finding.dst.hostname ?? finding.dst.ip ?? '?'}:${finding.dst.port ?? '?'}/${finding.protocol}`;
      lines.push(
        `| ${finding.severity} | ${finding.kind.join(', ')} | ${cell(finding.host)} | ${cell(finding.process.path ?? finding.process.name)} | ${cell(destination)} | ${finding.count} | ${finding.first_seen} | ${finding.last_seen} | ${finding.status} |`,
      );
    }
    lines.push('');
    for (const finding of report.findings) {
      const retries = finding.retry_rate ? [`- Retries ${retryRateText(finding.retry_rate, (iso) => iso)}`] : [];
      lines.push(`### ${finding.severity}: ${cell(finding.process.name)} on ${cell(finding.host)}`, '', ...finding.reasons.map((reason) => `- ${cell(reason)}`), ...retries, '');
    }
  }
  lines.push(`## Suppressed by allow-rules: ${report.suppressed.count}`, '');
  for (const [rule, count] of Object.entries(report.suppressed.by_rule)) lines.push(`- ${cell(rule)}: ${count}`);
  lines.push('', '## Telemetry coverage', '', '| Source | Read until | Events | Hosts seen | Errors |', '|---|---|---|---|---|');
  for (const health of report.coverage) {
    lines.push(
      `| ${cell(health.source)} | ${health.polled_until ?? 'never'} | ${health.events_seen} | ${health.hosts_seen.length} | ${health.gaps.length ? health.gaps.map((gap) => `${gap.from} to ${gap.to}: ${cell(gap.reason)}`).join('; ') : 'none'} |`,
    );
  }
  for (const health of report.coverage) {
    for (const blind of health.hosts_invisible ?? []) lines.push(`- ${cell(health.source)} cannot see ${cell(blind.host)}: ${cell(blind.reason)}`);
    if (health.notes) lines.push(`- ${cell(health.source)}: ${cell(health.notes)}`);
    if (health.slowed) {
      const { every_ms, asked_ms, since, queries_per_poll, budget_per_minute } = health.slowed;
      lines.push(`- ${cell(health.source)} was polled every ${every_ms / 1_000} s since ${since}, not every ${asked_ms / 1_000} s as asked: ${queries_per_poll} queries a poll within a budget of ${budget_per_minute}/min`);
    }
  }
  const baseline = report.coverage.flatMap(baselineLines);
  if (baseline.length > 0) lines.push('', '## Baseline', '', ...baseline);
  lines.push('', '## Audit trail', '');
  for (const entry of report.audit) lines.push(`- ${entry.at} ${cell(entry.actor)}: ${entry.action}${entry.detail ? ` (${cell(entry.detail)})` : ''}`);
  lines.push('');
  return lines.join('\n');
}

function baselineLines(health: SourceHealth): string[] {
  const source = cell(health.source);
  const lines: string[] = [];
  const reused = health.baseline_reused ?? [];
  if (reused.length > 0) {
    lines.push(`- ${source}: baseline of ${reused.map((entry) => `${cell(entry.host)} (taken ${entry.taken_at})`).join(', ')} reused from an earlier watch`);
  }
  const prevalence = health.prevalence;
  if (prevalence?.status === 'used') {
    const partial = prevalence.partial ? ', cut by the source (counts are lower bounds)' : '';
    lines.push(`- ${source}: ports and destinations judged against the ${prevalence.host_count} hosts it saw from ${prevalence.from} to ${prevalence.to}${partial}`);
  } else if (prevalence?.status === 'unavailable') {
    lines.push(`- ${source}: ${cell(prevalence.reason)}`);
  }
  return lines;
}
