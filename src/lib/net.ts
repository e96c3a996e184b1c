import ipaddr from 'ipaddr.js';

/**
 * IP and domain helpers for the detector's hot path. IPv4 (by far the most common in telemetry) is parsed by hand
 * into a 32-bit integer without allocating; IPv6 goes through ipaddr.js behind a small memo, and IPv4-mapped IPv6
 * (`::ffff:198.51.100.7`) is treated as the IPv4 address it carries.
 */

const V6_MEMO_LIMIT = 4096;
/** Parsed IPv6 and its RFC 5952 text by input text; null for text that is not IPv6. */
const v6Memo = new Map<string, { address: ipaddr.IPv6; text: string } | null>();
const MAPPED_PREFIX = '::ffff:';

/** The dotted-quad IPv4 address as an unsigned 32-bit integer, or -1 when `text` is not one. */
export function ipv4ToInt(text: string): number {
  const length = text.length;
  if (length < 7 || length > 15) return -1;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (code >= 48 && code <= 57) {
      octet = octet * 10 + (code - 48);
      digits++;
      if (octet > 255 || digits > 3) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

function parseV6(text: string): { address: ipaddr.IPv6; text: string } | null {
  const known = v6Memo.get(text);
  if (known !== undefined) return known;
  let parsed: { address: ipaddr.IPv6; text: string } | null = null;
  if (ipaddr.IPv6.isValid(text)) {
    const address = ipaddr.IPv6.parse(text);
    parsed = { address, text: address.toRFC5952String() };
  }
  if (v6Memo.size >= V6_MEMO_LIMIT) v6Memo.clear();
  v6Memo.set(text, parsed);
  return parsed;
}

/** A parsed address: `v4` is the IPv4 integer (also for IPv4-mapped IPv6), else -1 and `v6` is set when valid. */
export interface ParsedIp {
  v4: number;
  v6: ipaddr.IPv6 | null;
}

const NOT_AN_IP: ParsedIp = { v4: -1, v6: null };

/** Parses an address once, for callers that run several checks on it. */
export function parseIp(text: string): ParsedIp {
  const v4 = ipv4ToInt(text);
  if (v4 >= 0) return { v4, v6: null };
  if (!text.includes(':')) return NOT_AN_IP;
  const lower = text.toLowerCase();
  if (lower.startsWith(MAPPED_PREFIX)) {
    const mapped = ipv4ToInt(lower.slice(MAPPED_PREFIX.length));
    if (mapped >= 0) return { v4: mapped, v6: null };
  }
  const v6 = parseV6(lower)?.address;
  if (v6 === undefined) return NOT_AN_IP;
  if (v6.isIPv4MappedAddress()) return { v4: ipv4ToInt(v6.toIPv4Address().toString()), v6: null };
  return { v4: -1, v6 };
}

function hasLeadingZero(dotted: string): boolean {
  for (let i = 0; i < dotted.length - 1; i++) {
    if (dotted.charCodeAt(i) === 48 && (i === 0 || dotted.charCodeAt(i - 1) === 46) && dotted.charCodeAt(i + 1) !== 46) return true;
  }
  return false;
}

function intToIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/**
 * The canonical text of an IP address, for set lookups: IPv4 as a dotted quad (also when it arrived IPv4-mapped),
 * IPv6 in RFC 5952 form. Text that is not an IP comes back lower-cased.
 */
export function normalizeIp(text: string): string {
  const v4 = ipv4ToInt(text);
  // The common case allocates nothing: telemetry already writes IPv4 without leading zeros.
  if (v4 >= 0) return hasLeadingZero(text) ? intToIpv4(v4) : text;
  const parsed = parseIp(text);
  if (parsed.v4 >= 0) return intToIpv4(parsed.v4);
  if (parsed.v6 !== null) return parseV6(text.toLowerCase())?.text ?? parsed.v6.toRFC5952String();
  return text.toLowerCase();
}

/** Loopback, link-local or unspecified: traffic that never leaves the host or its segment. */
export function isLoopbackOrLinkLocal(ip: string | ParsedIp): boolean {
  const parsed = typeof ip === 'string' ? parseIp(ip) : ip;
  if (parsed.v4 >= 0) {
    const first = parsed.v4 >>> 24;
    return first === 127 || first === 0 || parsed.v4 >>> 16 === 0xa9fe;
  }
  if (parsed.v6 === null) return false;
  const range = parsed.v6.range();
  return range === 'loopback' || range === 'linkLocal' || range === 'unspecified';
}

/** Multicast or limited broadcast (LLMNR, mDNS, SSDP, NetBIOS): no remote peer to fall back to. */
export function isMulticastOrBroadcast(ip: string | ParsedIp): boolean {
  const parsed = typeof ip === 'string' ? parseIp(ip) : ip;
  if (parsed.v4 >= 0) return parsed.v4 >>> 28 === 14 || parsed.v4 === 0xffffffff;
  return parsed.v6 !== null && parsed.v6.range() === 'multicast';
}

/** A precompiled list of CIDR ranges (and single addresses). */
export interface CidrList {
  readonly size: number;
  /** True when `ip` (any text; non-IPs never match) falls in one of the ranges. */
  contains(ip: string | ParsedIp): boolean;
  /** The original text of the first range holding `ip`. */
  find(ip: string | ParsedIp): string | undefined;
}

/** Compiles CIDRs (`198.51.100.0/24`, `2001:db8::/32`) or plain addresses; invalid entries throw. */
export function compileCidrList(entries: readonly string[]): CidrList {
  const v4Nets: number[] = [];
  const v4Masks: number[] = [];
  const v4Labels: string[] = [];
  const v6Ranges: Array<{ range: [ipaddr.IPv6, number]; label: string }> = [];
  for (const entry of entries) {
    const [address, bits] = entry.includes('/') ? ipaddr.parseCIDR(entry) : toHostRange(ipaddr.parse(entry));
    const v4 = address instanceof ipaddr.IPv4 ? address : address.isIPv4MappedAddress() ? address.toIPv4Address() : undefined;
    if (v4 !== undefined) {
      const v4Bits = address instanceof ipaddr.IPv4 ? bits : Math.max(0, bits - 96);
      const mask = v4Bits === 0 ? 0 : (0xffffffff << (32 - v4Bits)) >>> 0;
      v4Nets.push((ipv4ToInt(v4.toString()) & mask) >>> 0);
      v4Masks.push(mask);
      v4Labels.push(entry);
    } else if (address instanceof ipaddr.IPv6) {
      v6Ranges.push({ range: [address, bits], label: entry });
    }
  }
  const find = (ip: string | ParsedIp): string | undefined => {
    const parsed = typeof ip === 'string' ? parseIp(ip) : ip;
    if (parsed.v4 >= 0) {
      for (let i = 0; i < v4Nets.length; i++) {
        if (((parsed.v4 & (v4Masks[i] as number)) >>> 0) === v4Nets[i]) return v4Labels[i];
      }
      return undefined;
    }
    if (parsed.v6 === null) return undefined;
    for (const { range, label } of v6Ranges) if (parsed.v6.match(range)) return label;
    return undefined;
  };
  return {
    size: entries.length,
    contains: (ip) => (entries.length === 0 ? false : find(ip) !== undefined),
    find,
  };
}

function toHostRange(address: ipaddr.IPv4 | ipaddr.IPv6): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  return [address, address instanceof ipaddr.IPv4 ? 32 : 128];
}

/** A destination host name in comparable form: lower case, no trailing dot; empty and Sysmon's "-" are none. */
export function normalizeHostname(text: string | undefined): string | undefined {
  if (text === undefined || text === '' || text === '-') return undefined;
  const lower = text.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) || undefined : lower;
}

/** The first DNS label of a host name ("fin-ws-042" of "fin-ws-042.corp.example"). */
export function firstLabel(hostname: string): string {
  const dot = hostname.indexOf('.');
  return dot === -1 ? hostname : hostname.slice(0, dot);
}

export interface DomainMatcher {
  readonly size: number;
  /** The pattern that matches `hostname` (already normalized), if any. */
  find(hostname: string): string | undefined;
}

/**
 * Compiles domain patterns. `*.example.com` matches any name below example.com, at any depth, but not
 * example.com itself. A plain `example.com` matches exactly that name, or also its subdomains when
 * `plainMatchesSubdomains` is set (the semantics of a blocked domain indicator).
 */
export function compileDomainMatcher(patterns: readonly string[], plainMatchesSubdomains: boolean): DomainMatcher {
  const exact = new Map<string, string>();
  const suffixes = new Map<string, string>();
  for (const pattern of patterns) {
    const name = normalizeHostname(pattern);
    if (name === undefined) continue;
    if (name.startsWith('*.')) {
      suffixes.set(name.slice(2), pattern);
    } else {
      exact.set(name, pattern);
      if (plainMatchesSubdomains) suffixes.set(name, pattern);
    }
  }
  return {
    size: patterns.length,
    find(hostname) {
      const hit = exact.get(hostname);
      if (hit !== undefined || suffixes.size === 0) return hit;
      for (let dot = hostname.indexOf('.'); dot !== -1; dot = hostname.indexOf('.', dot + 1)) {
        const parent = suffixes.get(hostname.slice(dot + 1));
        if (parent !== undefined) return parent;
      }
      return undefined;
    },
  };
}
