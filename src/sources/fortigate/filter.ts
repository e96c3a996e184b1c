import { IpSchema } from '../../contracts/common.js';

/**
 * FortiOS log filters: each `filter` parameter is `key<op>value` terms joined by `,` (OR); several `filter`
 * parameters are ANDed. Only validated IP addresses and integers this module writes ever go in, so no host data
 * can add a term or an operator.
 */

export function fortiIp(value: string): string {
  if (!IpSchema.safeParse(value).success) throw new RangeError(`not an IP address: ${JSON.stringify(value)}`);
  return value;
}

export interface TimeRange {
  from: Date;
  to: Date;
  unit: 'ms' | 's';
}

export interface TrafficFilter extends TimeRange {
  ips: readonly string[];
}

/** Log timestamp in [from, to), one `filter` parameter per bound. */
function timeFilters({ from, to, unit }: TimeRange): string[] {
  const stamp = (date: Date) => String(unit === 'ms' ? date.getTime() : Math.floor(date.getTime() / 1_000));
  const upper = unit === 'ms' ? stamp(to) : String(Math.ceil(to.getTime() / 1_000));
  return [`_metadata.timestamp>=${stamp(from)}`, `_metadata.timestamp<${upper}`];
}

/** Sessions from any of `ips` whose log timestamp is in [from, to). */
export function buildTrafficFilters({ ips, ...range }: TrafficFilter): string[] {
  // An empty address list would read every session of the VDOM: the estate read asks for that by name.
  if (ips.length === 0) throw new RangeError('no host IP to query');
  return [ips.map((ip) => `srcip==${fortiIp(ip)}`).join(','), ...timeFilters(range)];
}

/** Every forward-traffic session of the VDOM whose log timestamp is in [from, to): the estate-wide prevalence read. */
export function buildEstateTrafficFilters(range: TimeRange): string[] {
  return timeFilters(range);
}
