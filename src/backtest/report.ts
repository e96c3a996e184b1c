import { SeveritySchema, type Severity } from '../contracts/common.js';
import type { WatchView } from '../contracts/watch.js';
import { hostLabel } from '../contracts/host-identity.js';
import { evidenceMarkdown, evidenceReport } from '../watch/evidence-report.js';
import type { EntryStats } from './input/read-entry.js';
import type { BacktestResult } from './run-backtest.js';

/** One `--events` or `--baseline` file and what was read from each of its entries. */
export interface InputFileSummary {
  path: string;
  role: 'events' | 'baseline';
  entries: EntryStats[];
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * The backtest's JSON output: the live evidence report (verdict, watch, findings, suppressed, coverage, audit),
 * plus what the backtest read and where it split the telemetry.
 */
export function backtestReport(result: BacktestResult, files: readonly InputFileSummary[]) {
  const { watch, findings, stats } = result;
  const bySeverity = Object.fromEntries(SeveritySchema.options.map((severity) => [severity, 0])) as Record<Severity, number>;
  for (const finding of findings) bySeverity[finding.severity] += 1;
  const labels = watch.hosts.map(hostLabel);
  const view: WatchView = {
    ...watch,
    findings: { total: findings.length, by_severity: bySeverity },
    suppressed: result.suppressed,
    coverage: result.coverage.map((health) => {
      const seen = new Set(health.hosts_seen.map((host) => host.toLowerCase()));
      return { ...health, hosts_unseen: labels.filter((label) => !seen.has(label.toLowerCase())) };
    }),
    status_url: '',
    quiet_hosts: [],
  };
  return {
    ...evidenceReport(view, findings),
    backtest: {
      inputs: files.map((file) => ({ file: file.path, role: file.role, entries: file.entries })),
      sources: result.sources.map((span) => ({
        source: span.source,
        from: iso(span.first),
        to: iso(span.last),
        events: span.events,
        devices: [...span.devices].sort(),
        window_events: span.watchedEvents,
        hosts_seen: [...span.hostsSeen].sort(),
      })),
      baseline: {
        from: iso(stats.baseline.from),
        to: iso(stats.baseline.to),
        events: stats.baseline.events,
        rows: stats.baseline.rows,
        excluded_rows: stats.baseline.excludedRows,
        environment_hosts: stats.baseline.environmentHosts,
        older_than_window: stats.beforeBaseline,
      },
      window: {
        from: watch.blocked_at,
        to: watch.expires_at,
        events: stats.window.events,
        duplicates: stats.duplicates,
        other_hosts: stats.window.otherHosts,
        after_end: stats.window.afterEnd,
        assessed: stats.window.assessed,
      },
      events_read: stats.eventsRead,
      timings_ms: {
        read: Math.round(stats.timings.readMs),
        baseline: Math.round(stats.timings.baselineMs),
        detect: Math.round(stats.timings.assessMs),
      },
    },
  };
}
export type BacktestReport = ReturnType<typeof backtestReport>;

const cell = (text: string | number | null) => String(text ?? '-').replace(/[\r\n]+/g, ' ').replace(/\|/g, '\\|');

/** The live evidence report in Markdown, followed by what the backtest read. */
export function backtestMarkdown(report: BacktestReport): string {
  const { backtest } = report;
  const lines = [
    evidenceMarkdown(report).trimEnd(),
    '',
    '## Backtest inputs',
    '',
    '| File | Role | Entry | Format | Records | Events | Skipped |',
    '|---|---|---|---|---|---|---|',
    ...backtest.inputs.flatMap((input) =>
      input.entries.map(
        (entry) =>
          `| ${cell(input.file)} | ${input.role} | ${cell(entry.entry)} | ${cell(entry.format)} | ${entry.records} | ${entry.events} | ${entry.skipped} |`,
      ),
    ),
    '',
    '| Source | From | To | Events | Devices | Window events of watched hosts |',
    '|---|---|---|---|---|---|',
    ...backtest.sources.map(
      (source) =>
        `| ${cell(source.source)} | ${source.from ?? '-'} | ${source.to ?? '-'} | ${source.events} | ${cell(source.devices.join(', '))} | ${source.window_events} |`,
    ),
    '',
    `- Baseline: ${backtest.baseline.events} events (${backtest.baseline.from ?? '-'} to ${backtest.baseline.to ?? '-'}) in ${backtest.baseline.rows} rows ` +
      `from ${backtest.baseline.environment_hosts} hosts; ${backtest.baseline.excluded_rows} rows to blocked indicators or local addresses left out; ` +
      `${backtest.baseline.older_than_window} events older than the baseline window.`,
    `- Window: ${backtest.window.events} events; ${backtest.window.assessed.finding} in findings, ${backtest.window.assessed.suppressed} suppressed, ` +
      `${backtest.window.assessed.normal} normal, ${backtest.window.assessed.ignored} ignored; ${backtest.window.other_hosts} of unwatched hosts, ` +
      `${backtest.window.duplicates} duplicates, ${backtest.window.after_end} after the window.`,
    '',
  ];
  return lines.join('\n');
}
