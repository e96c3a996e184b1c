import type { ConnectionEvent } from '../contracts/connection-event.js';
import type { Indicator } from '../contracts/containment-request.js';
import { compileCidrList, compileDomainMatcher, normalizeHostname, normalizeIp, type ParsedIp } from '../lib/net.js';

export interface IndicatorMatcher {
  /**
   * The blocked indicator that a destination (normalized IP, normalized host name) hits: the IP itself, a blocked
   * range holding it, or a blocked domain equal to the host name or a parent of it. `dstParsed` is `dstIp`
   * already parsed, when the caller has it.
   */
  match(dstIp: string | undefined, dstHostname: string | undefined, dstParsed?: ParsedIp): Indicator | undefined;
  /** `match` on an event's destination, normalizing it first. */
  matchEvent(event: ConnectionEvent): Indicator | undefined;
}

/** Precompiles a watch's blocked indicators into map and range lookups. */
export function compileIndicators(blocked: readonly Indicator[]): IndicatorMatcher {
  const ips = new Map<string, Indicator>();
  const byRange = new Map<string, Indicator>();
  const byDomain = new Map<string, Indicator>();
  for (const indicator of blocked) {
    if (indicator.type === 'ip') ips.set(normalizeIp(indicator.value), indicator);
    else if (indicator.type === 'cidr') byRange.set(indicator.value, indicator);
    else byDomain.set(indicator.value, indicator);
  }
  // Most watches block addresses only: no range or domain lookup is built for them.
  const ranges = byRange.size === 0 ? undefined : compileCidrList([...byRange.keys()]);
  const domains = byDomain.size === 0 ? undefined : compileDomainMatcher([...byDomain.keys()], true);

  const match = (dstIp: string | undefined, dstHostname: string | undefined, dstParsed?: ParsedIp): Indicator | undefined => {
    if (dstIp !== undefined) {
      const hit = ips.get(dstIp);
      if (hit) return hit;
      if (ranges !== undefined) {
        const range = ranges.find(dstParsed ?? dstIp);
        if (range !== undefined) return byRange.get(range);
      }
    }
    if (dstHostname !== undefined && domains !== undefined) {
      const domain = domains.find(dstHostname);
      if (domain !== undefined) return byDomain.get(domain);
    }
    return undefined;
  };

  return {
    match,
    matchEvent: (event) =>
      match(
        event.dst_endpoint.ip === undefined ? undefined : normalizeIp(event.dst_endpoint.ip),
        normalizeHostname(event.dst_endpoint.hostname),
      ),
  };
}

const compiled = new WeakMap<readonly Indicator[], IndicatorMatcher>();

/** `compileIndicators`, compiled once per list: a watch's baseline and its detector share one matcher. */
export function sharedIndicators(blocked: readonly Indicator[]): IndicatorMatcher {
  let matcher = compiled.get(blocked);
  if (!matcher) {
    matcher = compileIndicators(blocked);
    compiled.set(blocked, matcher);
  }
  return matcher;
}
