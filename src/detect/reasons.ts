import type { ConnectionEvent } from '../contracts/connection-event.js';
import type { Indicator } from '../contracts/containment-request.js';
import { FULL_ESTATE_HISTORY_HOURS } from './history-depth.js';

/**
 * The one-line reasons a responder reads under a finding. Names, paths and addresses are the raw telemetry
 * strings: escaping them for Slack or Markdown is the renderer's job, not ours.
 */

const HOUR = 3_600_000;
const MINUTE = 60_000;

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

/** `where` is a history phrase: "in 1 h of telemetry over 45 days", "in the 7-day baseline". */
export function quietProcessReason(exe: string, host: string, where: string, otherHosts: number): string {
  const fleet = otherHosts > 0 ? ` (it did on ${plural(otherHosts, 'other host')})` : '';
  return `${exe} has made no network connection on ${host} ${where}${fleet}`;
}

export const noBaselineReason = (exe: string, host: string): string =>
  `${host} has no baseline to compare ${exe} with; judged on the binary and its location alone`;

const clock = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export const startedAfterBlockReason = (exe: string, startedAt: number, blockedAt: number): string =>
  `${exe} first ran at ${clock(startedAt)}, ${formatDuration(startedAt - blockedAt)} after the block`;

const LINEAGE_TEXT = {
  remote_execution: 'a remote-execution service (WMI, WinRM, PsExec, DCOM), as lateral movement does',
  service: 'the service control manager from outside the Windows and Program Files folders, as PsExec-style tools do',
  script_host: 'a shell or script host',
  office: 'an Office application',
  browser: 'a browser',
} as const;

export const lineageReason = (exe: string, parent: string, lineage: keyof typeof LINEAGE_TEXT): string =>
  `${exe} was started by ${parent}: ${LINEAGE_TEXT[lineage]}`;

export const lolbinReason = (exe: string): string =>
  `${exe} is a Windows system binary that rarely makes network connections`;

export const noArgumentsReason = (exe: string): string =>
  `${exe} ran without command-line arguments, as injected code usually does`;

export const userWritableReason = (path: string, fragment: string): string =>
  `${path} runs from a user-writable or unusual folder (${fragment})`;

export const renamedReason = (exe: string, original: string): string =>
  `${exe} is a renamed copy of ${original}: the baseline knows its SHA-1 under that name`;

export const emptyCommandLineReason = (exe: string): string =>
  `${exe} ran with an empty command line, as hollowed or injected processes often do`;

export const unsignedReason = (exe: string): string => `${exe} is not code-signed`;

export const newHashReason = (exe: string, pathHosts: number): string =>
  `this build of ${exe} (by SHA-1) made no connection in the baseline, though ${exe} did on ${plural(pathHosts, 'host')}`;

export function portLabel(protocol: string, port: number | undefined): string {
  return port === undefined ? protocol : `port ${port}/${protocol}`;
}

/** "in the baseline", or "in the baseline (only 3 host-hours of telemetry)" when the estate's history is thin. */
const estateHistory = (hostHours: number | undefined): string =>
  hostHours === undefined || hostHours >= FULL_ESTATE_HISTORY_HOURS
    ? 'in the baseline'
    : `in the baseline (only ${hostHours} host-hours of telemetry)`;

export const uncommonPortReason = (
  protocol: string,
  port: number | undefined,
  seenOn: number,
  hostCount: number,
  hostHours?: number,
): string => `${portLabel(protocol, port)} was seen on ${seenOn} of ${plural(hostCount, 'host')} ${estateHistory(hostHours)}`;

export function newDestinationReason(
  ip: string | undefined,
  hostname: string | undefined,
  internal: boolean,
  bareIp: boolean,
  hostHours?: number,
): string {
  const where = estateHistory(hostHours);
  if (hostname === undefined) {
    const address = ip ?? 'the destination';
    if (internal) return `${address} is an internal address never contacted ${where}`;
    return bareIp ? `${address} is a bare IP (no DNS name) never contacted ${where}` : `${address} was never contacted ${where}`;
  }
  const address = ip === undefined ? hostname : `${hostname} (${ip})`;
  return internal ? `${address} is internal but was never contacted ${where}` : `${address} was never contacted ${where}`;
}

export function blockedRetryReasons(host: string, indicator: Indicator, outcome: ConnectionEvent['outcome']): string[] {
  const tried = `${host} still tries to reach blocked ${indicator.type} ${indicator.value}: the implant is alive`;
  switch (outcome) {
    case 'success':
      return [tried, 'the connection succeeded: the block did not hold'];
    case 'blocked':
      return [tried, 'the block held: the connection was blocked'];
    case 'failure':
      return [tried, 'the block held: the connection failed'];
    default:
      return [tried, 'the telemetry does not say whether the block held'];
  }
}

export const dnsShiftReason = (ip: string, where: 'outside' | 'internal'): string =>
  where === 'outside'
    ? `sends DNS to ${ip}, which is not a corporate resolver`
    : `sends DNS to ${ip}, an internal address that is not a configured resolver`;

const APP_LABELS = { dns: 'DNS', http: 'HTTP', tls: 'TLS' } as const;

export const appPortReason = (app: keyof typeof APP_LABELS, protocol: string, port: number | undefined): string =>
  `${APP_LABELS[app]} on ${portLabel(protocol, port)}, which is not a standard ${APP_LABELS[app]} port`;

export function icmpReason(ip: string, bytes: number | undefined, large: boolean): string {
  if (bytes !== undefined && large) return `ICMP to external address ${ip} carrying ${bytes} bytes: tunnels hide data in echo payloads`;
  return `ICMP to external address ${ip}`;
}

export const smbReason = (ip: string, protocol: string, port: number | undefined): string =>
  `SMB (${portLabel(protocol, port)}) to external address ${ip}: file shares are not reached across the internet`;

export const remoteAdminReason = (path: string, protocol: string, target: string): string =>
  `${path}, a binary no installer put in place, speaks ${protocol} to ${target}: remote administration is how tools move between hosts`;

const CONCEALMENT_TEXT = {
  encoded: 'an encoded command',
  hidden: 'a hidden window',
  download: 'a download cradle',
  in_memory: 'code evaluated in memory',
} as const;

export const concealedCommandReason = (exe: string, traits: readonly (keyof typeof CONCEALMENT_TEXT)[]): string =>
  `${exe} was started with ${traits.map((trait) => CONCEALMENT_TEXT[trait]).join(', ')}: its command line hides what it runs`;

/** "60 s", "1.5 s", "5 min", "2.5 h": the unit a responder would say. */
export function formatDuration(ms: number): string {
  const oneDecimal = (value: number): string => String(Math.round(value * 10) / 10);
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${oneDecimal(ms / 1_000)} s`;
  if (ms < 100_000) return `${Math.round(ms / 1_000)} s`;
  if (ms < 10 * MINUTE) return `${oneDecimal(ms / MINUTE)} min`;
  if (ms < 100 * MINUTE) return `${Math.round(ms / MINUTE)} min`;
  return `${oneDecimal(ms / HOUR)} h`;
}

/** The beacon line: "connects to 192.0.2.44:443 every 60 s ± 4 s (12 times)", with the usual size when known. */
export function beaconReason(
  verb: 'connects to' | 'retries',
  target: string,
  beacon: { intervalMs: number; jitterMs: number; medianBytes: number | undefined },
  times: number,
): string {
  const size = beacon.medianBytes === undefined ? '' : `, about ${Math.round(beacon.medianBytes)} bytes each`;
  return `${verb} ${target} every ${formatDuration(beacon.intervalMs)} ± ${formatDuration(beacon.jitterMs)}${size} (${times} times)`;
}
