import { severityRank } from '../contracts/common.js';
import type { Finding, RetryRate } from '../contracts/finding.js';
import { identifiersOf } from '../contracts/host-identity.js';
import type { WatchedHost, WatchView } from '../contracts/watch.js';

/** Raw (unescaped) descriptions shared by the Slack and console renderings; callers escape for their medium. */

export function processLabel(finding: Finding): string {
  return finding.process.name || finding.process.path || 'unknown process';
}

/** "203.0.113.9:8443/tcp (evil.example)" style parts, so each medium can format them. */
export function destinationParts(finding: Finding): { address: string; hostname?: string; port: string } {
  const address = finding.dst.ip ?? finding.dst.hostname ?? 'unknown destination';
  const hostname = finding.dst.ip !== undefined ? finding.dst.hostname : undefined;
  const port = `${finding.dst.port ?? '*'}/${finding.protocol}`;
  return hostname === undefined ? { address, port } : { address, hostname, port };
}

export function destinationLabel(finding: Finding): string {
  const { address, hostname, port } = destinationParts(finding);
  return `${address}:${port}${hostname === undefined ? '' : ` (${hostname})`}`;
}

/** "in 4 minutes, at most 5 a minute (2026-12-05 09:03:00 UTC)"; `when` formats the peak minute for the medium. */
export function retryRateText(rate: RetryRate, when: (iso: string) => string): string {
  return `in ${rate.minutes} minute${rate.minutes === 1 ? '' : 's'}, at most ${rate.peak} a minute (${when(rate.peak_minute)})`;
}

export type HostCoverage = 'ready' | 'pending' | 'unavailable' | 'no_telemetry' | 'quiet';

/**
 * How well one host is covered: its baseline state, and once watching, whether any source has reported it at all
 * (a host no source has seen cannot support a "held" verdict), and whether it has gone quiet since.
 */
export function hostCoverage(view: WatchView, host: WatchedHost): HostCoverage {
  if (host.baseline === 'unavailable') return 'unavailable';
  if (host.baseline === 'pending') return 'pending';
  if (view.state === 'baseline') return 'ready';
  // Sources record a host under its hostname, else its ip, else its EDR id.
  const names = identifiersOf(host);
  const seen = view.coverage.some((source) => source.hosts_seen.some((seenHost) => names.includes(seenHost.toLowerCase())));
  if (!seen) return 'no_telemetry';
  return view.quiet_hosts.some((quiet) => names.includes(quiet.host.toLowerCase())) ? 'quiet' : 'ready';
}

/** Highest severity first, then highest score, then earliest. */
export function byImportance(a: Finding, b: Finding): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) || b.score - a.score || a.first_seen.localeCompare(b.first_seen)
  );
}
