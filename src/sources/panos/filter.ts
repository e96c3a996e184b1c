import { IpSchema } from '../../contracts/common.js';
import { formatPanTime } from './zoned-time.js';

/**
 * PAN-OS log filters (the Monitor tab's query syntax). Only two kinds of value ever go in: IP addresses, checked
 * to be IPv4 or IPv6 before they are written, and times this module formats itself. Neither can carry a quote,
 * a parenthesis or a keyword, so no host data can change the filter.
 */

const PAN_TIME = /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}$/;

export function panosIp(value: string): string {
  if (!IpSchema.safeParse(value).success) throw new RangeError(`not an IP address: ${JSON.stringify(value)}`);
  return value;
}

export function panosTime(ms: number, timeZone: string): string {
  const text = formatPanTime(ms, timeZone);
  if (!PAN_TIME.test(text)) throw new RangeError(`not a PAN-OS time: ${JSON.stringify(text)}`);
  return `'${text}'`;
}

export interface TimeRange {
  from: Date;
  to: Date;
  timeZone: string;
}

export interface TrafficFilter extends TimeRange {
  ips: readonly string[];
}

/**
 * Sessions received in [from, to). `receive_time` has whole seconds and `leq` is inclusive, so the upper bound is
 * the last whole second before `to`; the connector trims both ends to the millisecond.
 */
function timeTerms({ from, to, timeZone }: TimeRange): string {
  const last = Math.max(from.getTime(), to.getTime() - 1);
  return `( receive_time geq ${panosTime(from.getTime(), timeZone)} ) and ( receive_time leq ${panosTime(last, timeZone)} )`;
}

/** Sessions from any of `ips` received in [from, to). */
export function buildTrafficQuery({ ips, ...range }: TrafficFilter): string {
  // An empty address list would query every session the firewall logged: the estate read asks for that by name.
  if (ips.length === 0) throw new RangeError('no host IP to query');
  const sources = ips.map((ip) => `addr.src in ${panosIp(ip)}`).join(' or ');
  return `( ${sources} ) and ${timeTerms(range)}`;
}

/** Every session the firewall logged in [from, to), whatever its source: the estate-wide prevalence read. */
export function buildEstateTrafficQuery(range: TimeRange): string {
  return timeTerms(range);
}
