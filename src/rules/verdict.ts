import { severityRank } from '../contracts/common.js';
import { formatDuration } from '../contracts/duration.js';
import type { Finding } from '../contracts/finding.js';
import type { SourceCatchUp, SourceHealth, Verdict, Watch } from '../contracts/watch.js';
import { formatDurationShort, formatUtc } from '../report/text/time.js';
import { hostIdentity, hostLabel } from '../contracts/host-identity.js';
import { lastHeardByHost, SILENCE_FLOOR_MS } from './quiet-hosts.js';
import type { Silence } from './silence.js';

export interface VerdictResult {
  verdict: Verdict;
  reasons: string[];
}

const MEDIUM = severityRank('medium');
const listed = (items: readonly string[], max = 5) =>
  items.length > max ? `${items.slice(0, max).join(', ')} and ${items.length - max} more` : items.join(', ');

/**
 * breached: a finding (not marked benign, medium or above) shows a channel other than the blocked one,
 * or a blocked indicator was reached despite the block (a reported success).
 * inconclusive: not breached, but part of the window could not be read, a source had not caught up past the window's
 * end when the close stopped waiting for it (its telemetry may still hold what happened last), a host sent no telemetry at all, a host's
 * telemetry stopped for a significant part of the window, a host had no usable baseline (nothing to compare its
 * traffic with), or a finding event could not be recorded (quarantined); a blind window is never called held.
 * held: otherwise. A host still retrying the blocked address is named: the block held, the implant lives.
 */
export function decideVerdict(
  watch: Watch,
  findings: readonly Finding[],
  coverage: readonly SourceHealth[],
  silences: ReadonlyMap<string, Silence> = new Map(),
  /** `hostIdentity`s of the hosts with a usable baseline row; undefined when the baseline is not known here. */
  baselined?: ReadonlySet<string>,
  /** Sources the close gave up waiting for: their telemetry was not known complete up to the window's end. */
  behind: readonly SourceCatchUp[] = [],
): VerdictResult {
  const live = findings.filter((finding) => finding.status !== 'benign');
  // A finding on a blocked indicator (even one that also beacons: the retries are regular) is about the block:
  // it is a breach only when a connection is shown to have got through.
  const breaches = live.filter(
    (finding) => severityRank(finding.severity) >= MEDIUM && (finding.kind.includes('blocked_retry') ? finding.connected : true),
  );
  const retries = live.filter((finding) => finding.kind.includes('blocked_retry') && !finding.connected);
  const retryNote = retries.length ? [retryNoteOf(retries)] : [];

  if (breaches.length > 0) {
    return {
      verdict: 'breached',
      reasons: [
        ...breaches.slice(0, 5).map((finding) => {
          const destination = `${finding.dst.hostname ?? finding.dst.ip ?? '?'}:${finding.dst.port ?? '?'}/${finding.protocol}`;
          const how = finding.kind.includes('blocked_retry') ? 'reached the blocked indicator' : 'opened a fallback channel';
          return `${finding.process.name} on ${finding.host} ${how} to ${destination} (${finding.severity}, ${finding.count}x)`;
        }),
        ...(breaches.length > 5 ? [`and ${breaches.length - 5} more findings`] : []),
        ...retryNote,
      ],
    };
  }

  const blind = blindSpots(watch, coverage, silences, behind);
  const unbaselined = baselined === undefined ? [] : watch.hosts.filter((host) => !baselined.has(hostIdentity(host))).map(hostLabel);
  if (unbaselined.length > 0) {
    blind.push(`no usable baseline for ${listed(unbaselined)}: new traffic there cannot be told from usual traffic`);
  }
  if (blind.length > 0) return { verdict: 'inconclusive', reasons: [...blind, ...retryNote] };

  return {
    verdict: 'held',
    reasons: [
      `no fallback channel from ${watch.hosts.length} host(s) over ${formatDuration(windowMs(watch))} of telemetry from ${listed(watch.sources)}`,
      ...retryNote,
    ],
  };
}

/** Whether the implant was still at it when the window closed, and how hard: the last attempt and the busiest minute. */
function retryNoteOf(retries: readonly Finding[]): string {
  const hosts = listed([...new Set(retries.map((finding) => finding.host))]);
  const attempts = retries.reduce((sum, finding) => sum + finding.count, 0);
  const last = retries.map((finding) => finding.last_seen).reduce((latest, seen) => (seen > latest ? seen : latest));
  const peak = Math.max(0, ...retries.map((finding) => finding.retry_rate?.peak ?? 0));
  const rate = peak > 0 ? `, up to ${peak} a minute` : '';
  return (
    `the implant is still trying the blocked address from ${hosts} (${attempts} attempts, all blocked${rate}, the last at ${formatUtc(last)}): ` +
    'the block held, the host still needs remediation'
  );
}

const windowMs = (watch: Watch) => Math.max(0, Date.parse(watch.expires_at) - Date.parse(watch.blocked_at));

function blindSpots(
  watch: Watch,
  coverage: readonly SourceHealth[],
  silences: ReadonlyMap<string, Silence>,
  behind: readonly SourceCatchUp[],
): string[] {
  const reasons: string[] = [];
  const end = Date.parse(watch.expires_at);
  const tolerance = Math.max(watch.poll_interval_ms, 1_000);
  const bySource = new Map(coverage.map((health) => [health.source, health]));
  const unreadSources = new Set<string>();
  for (const source of watch.sources) {
    const health = bySource.get(source);
    const readUntil = health?.polled_until ? Date.parse(health.polled_until) : Date.parse(watch.blocked_at);
    if (readUntil < end - tolerance) {
      const unread = formatDuration(Math.round((end - readUntil) / 1000) * 1000);
      const why = health?.last_error ? ` (last error: ${health.last_error})` : '';
      reasons.push(`${source} could not be read for the last ${unread} of the window${why}`);
      unreadSources.add(source);
    }
  }
  for (const lagging of behind.filter((entry) => !unreadSources.has(entry.source))) {
    const known =
      lagging.read_until === undefined ? 'nothing read from it' : `its telemetry known complete only to ${clockSeconds(Date.parse(lagging.read_until))}`;
    const error = bySource.get(lagging.source)?.last_error;
    const why = error ? `; last error: ${error}` : '';
    const seenLate =
      lagging.observed_lag_ms !== undefined && lagging.observed_lag_ms > lagging.settle_ms
        ? `, seen ${formatDurationShort(lagging.observed_lag_ms)} late`
        : '';
    reasons.push(
      `${lagging.source} had not caught up past the window's end (${known}, settle ${formatDuration(lagging.settle_ms)}${seenLate}${why})`,
    );
  }
  const seen = new Set(coverage.flatMap((health) => health.hosts_seen.map((host) => host.toLowerCase())));
  const silent = watch.hosts
    .map(hostLabel)
    .filter((label) => !seen.has(label.toLowerCase()));
  if (silent.length > 0) reasons.push(`no telemetry at all during the window from ${listed(silent)}`);
  const fallenSilent = silentAtTheEnd(watch, coverage).filter((label) => seen.has(label.toLowerCase()));
  if (fallenSilent.length > 0) reasons.push(`telemetry stopped long before the end of the window from ${listed(fallenSilent)}`);
  const darkStretches = silentMidWindow(watch, silences).filter(({ label }) => !fallenSilent.includes(label));
  for (const { label, silence } of darkStretches.slice(0, 5)) {
    reasons.push(`no telemetry from ${label} for ${formatDuration(silence.to - silence.from)} (${clock(silence.from)} to ${clock(silence.to)})`);
  }
  if (darkStretches.length > 5) reasons.push(`and ${darkStretches.length - 5} more hosts with a stretch of no telemetry`);
  const invisible = coverage.flatMap((health) => (health.hosts_invisible ?? []).map((entry) => `${entry.host} (${health.source}: ${entry.reason})`));
  if (invisible.length > 0 && silent.length > 0) reasons.push(`sources that cannot see some hosts: ${listed(invisible)}`);
  // A quarantined event was one the detector judged a finding, but it could not be recorded: never call that held.
  for (const health of coverage) {
    const quarantined = health.events_quarantined ?? 0;
    if (quarantined > 0) reasons.push(`${quarantined} finding event(s) from ${health.source} could not be recorded (quarantined)`);
  }
  return reasons;
}

/** A host counts as blind when its last event is older than a quarter of the window, and at least 10 minutes. */
const SILENCE_SHARE = 0.25;

const clock = (ms: number) => new Date(ms).toISOString().replace(/:\d{2}\.\d{3}Z$/, 'Z');
/** To the second: a source's lag past the end of a window is often seconds. */
const clockSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * Hosts that were heard from, then not at all for a significant stretch inside the window (at its start, or in the
 * middle), by their longest such stretch. A stretch reaching the end of the window is `silentAtTheEnd`'s.
 */
function silentMidWindow(watch: Watch, silences: ReadonlyMap<string, Silence>): { label: string; silence: Silence }[] {
  const end = Date.parse(watch.expires_at);
  const allowedSilence = Math.max(SILENCE_SHARE * windowMs(watch), SILENCE_FLOOR_MS);
  return watch.hosts.flatMap((host) => {
    const label = hostLabel(host);
    const silence = silences.get(label.toLowerCase());
    return silence && silence.to < end && silence.to - silence.from > allowedSilence ? [{ label, silence }] : [];
  });
}

/** Hosts every source stopped hearing from for a significant part of the window, before its end. */
function silentAtTheEnd(watch: Watch, coverage: readonly SourceHealth[]): string[] {
  const end = Date.parse(watch.expires_at);
  const allowedSilence = Math.max(SILENCE_SHARE * windowMs(watch), SILENCE_FLOOR_MS);
  const lastHeard = lastHeardByHost(coverage);
  return watch.hosts
    .map(hostLabel)
    .filter((label) => {
      const heard = lastHeard.get(label.toLowerCase());
      return heard !== undefined && end - heard > allowedSilence;
    });
}
