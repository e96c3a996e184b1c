import type { ConnectionEvent } from '../contracts/connection-event.js';
import type { Indicator } from '../contracts/containment-request.js';

/**
 * The one-line reasons a responder reads under a finding. Names, paths and addresses are the raw telemetry
 * strings: escaping them for Slack or Markdown is the renderer's job, not ours.
 */

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;

/** "7-day baseline", "12-hour baseline", or just "baseline" when the window is unknown. */
export function baselineWindowText(windowMs: number | undefined): string {
  if (windowMs === undefined) return 'baseline';
  if (windowMs >= DAY) return `${Math.round(windowMs / DAY)}-day baseline`;
  if (windowMs >= HOUR) return `${Math.round(windowMs / HOUR)}-hour baseline`;
  return `${Math.max(1, Math.round(windowMs / MINUTE))}-minute baseline`;
}

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

export function quietProcessReason(exe: string, host: string, window: string, otherHosts: number): string {
  const fleet = otherHosts > 0 ? ` (it did on ${plural(otherHosts, 'other host')})` : '';
  return `${exe} has made no network connection on ${host} in the ${window}${fleet}`;
}

export const noBaselineReason = (exe: string, host: string): string =>
  `${host} has no baseline to compare ${exe} with; judged on the binary and its location alone`;

export const lolbinReason = (exe: string): string =>
  `${exe} is a Windows system binary that rarely makes network connections`;

export const noArgumentsReason = (exe: string): string =>
  `${exe} ran without command-line arguments, as injected code usually does`;

export const userWritableReason = (path: string, fragment: string): string =>
  `${path} runs from a user-writable or unusual folder (${fragment})`;

export function portLabel(protocol: string, port: number | undefined): string {
  return port === undefined ? protocol : `port ${port}/${protocol}`;
}

export const uncommonPortReason = (protocol: string, port: number | undefined, seenOn: number, hostCount: number): string =>
  `${portLabel(protocol, port)} was seen on ${seenOn} of ${plural(hostCount, 'host')} in the baseline`;

export function newDestinationReason(ip: string | undefined, hostname: string | undefined, internal: boolean): string {
  if (hostname === undefined) {
    return internal
      ? `${ip ?? 'the destination'} is an internal address never contacted in the baseline`
      : `${ip ?? 'the destination'} is a bare IP never contacted in the baseline`;
  }
  const address = ip === undefined ? hostname : `${hostname} (${ip})`;
  return internal ? `${address} is internal but was never contacted in the baseline` : `${address} was never contacted in the baseline`;
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
