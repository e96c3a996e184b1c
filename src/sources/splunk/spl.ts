import type { HostRef, CoveredRange } from '../types.js';

/**
 * SPL for the search jobs API. Every value is emitted through `splString`. Host names and IPs go only inside
 * `where` expressions, whose string literals have no wildcards: `*` in a host name stays a character (in a
 * `search` term it would match every host). Index and sourcetype names are config, checked to hold no `*`.
 */

export const DEFAULT_INDEX = 'sysmon';
export const DEFAULT_SOURCETYPE = 'XmlWinEventLog:Microsoft-Windows-Sysmon/Operational';

/** The Sysmon Event ID 3 fields the connector reads; a custom `search` must yield these names. */
export const SYSMON_FIELDS = [
  '_time',
  'Computer',
  'EventRecordID',
  'ProcessGuid',
  'ProcessId',
  'Image',
  'User',
  'Protocol',
  'Initiated',
  'SourceIp',
  'SourcePort',
  'DestinationIp',
  'DestinationHostname',
  'DestinationPort',
  /** Not Sysmon: a CIM Network_Traffic `action` (allowed, blocked, ...), read when a custom search has it. */
  'action',
] as const;

/**
 * The baseline's `stats ... by` fields: (host, process, destination, port, protocol). The host is its `Computer` and
 * the connection's `SourceIp`, so a row is attributed to a watched host given by either.
 */
export const BASELINE_BY = ['Computer', 'SourceIp', 'Image', 'DestinationIp', 'DestinationHostname', 'DestinationPort', 'Protocol'] as const;
export const BASELINE_STATS = { count: 'cw_count', first: 'cw_first_seen', last: 'cw_last_seen' } as const;

/** Names of the prevalence searches' computed fields. */
export const PREVALENCE_STATS = { hosts: 'cw_hosts', destination: 'cw_destination' } as const;

/**
 * A double-quoted SPL string literal: inside one, only `"` ends the literal and `\` escapes, so escaping exactly
 * those two keeps any text (pipes, brackets, `*`, newlines) one literal value.
 */
export function splString(value: string): string {
  return `"${value.replace(/[\\"]/g, (char) => `\\${char}`)}"`;
}

/** A count or threshold as an SPL integer; the value must be a non-negative safe integer. */
export function splCount(value: number): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a count: ${value}`);
  return String(value);
}

/** Where the events come from: the configured `search`, or Sysmon EID 3 outbound connections in index/sourcetype. */
export function eventSelection(options: { search?: string; index?: string; sourcetype?: string }): string {
  if (options.search !== undefined) return options.search.startsWith('|') ? options.search : `search ${options.search}`;
  const index = splString(options.index ?? DEFAULT_INDEX);
  const sourcetype = splString(options.sourcetype ?? DEFAULT_SOURCETYPE);
  return `search index=${index} sourcetype=${sourcetype} EventCode=3 Initiated=true`;
}

/** How each host is matched; like the MDE connector, a host known by name is not also matched by IP. */
export interface HostMatch {
  /** Lower-cased FQDNs, against the whole `Computer`. */
  fqdns: string[];
  /** Lower-cased short names, against `Computer`'s first DNS label. */
  shortNames: string[];
  /** Hosts known only by IP, against `SourceIp`. */
  ips: string[];
}

export function hostMatch(hosts: readonly HostRef[]): HostMatch {
  const match: HostMatch = { fqdns: [], shortNames: [], ips: [] };
  const add = (list: string[], value: string) => {
    if (!list.includes(value)) list.push(value);
  };
  for (const host of hosts) {
    const hostname = host.hostname?.trim() ? host.hostname.toLowerCase() : undefined;
    const ip = host.ip?.trim() ? host.ip.trim() : undefined;
    if (hostname) add(hostname.includes('.') ? match.fqdns : match.shortNames, hostname);
    else if (ip) add(match.ips, ip);
  }
  return match;
}

export const isEmptyHostMatch = (match: HostMatch): boolean => match.fqdns.length + match.shortNames.length + match.ips.length === 0;

function hostPredicate(match: HostMatch): string {
  const terms = [
    ...match.fqdns.map((name) => `lower(Computer)==${splString(name)}`),
    ...match.shortNames.map((name) => `mvindex(split(lower(Computer), "."), 0)==${splString(name)}`),
    ...match.ips.map((ip) => `SourceIp==${splString(ip)}`),
  ];
  // An empty filter would silently read every host in the index.
  if (terms.length === 0) throw new RangeError('no host identifier to query');
  return terms.join(' OR ');
}

export interface SearchFilter {
  selection: string;
  hosts: readonly HostRef[];
}

/**
 * Every connection event of the hosts; the time range goes in the job's earliest_time/latest_time. With `covered`,
 * events an earlier read returned are left out by `_indextime`, which is whole seconds (so both bounds are rounded
 * down: a second more is read, never one less); an event without one (a custom search's results may lack it) is
 * always read.
 */
export function buildConnectionsSearch({ selection, hosts, covered }: SearchFilter & { covered?: CoveredRange }): string {
  const lines = [selection, `| where ${hostPredicate(hostMatch(hosts))}`];
  if (covered) {
    const seconds = (date: Date) => splCount(Math.floor(date.getTime() / 1_000));
    lines.push(`| where _time>=${seconds(covered.until)} OR isnull(_indextime) OR _indextime>=${seconds(covered.ingestedSince)}`);
  }
  lines.push(`| table ${SYSMON_FIELDS.join(', ')}`);
  return lines.join('\n');
}

/**
 * The hosts' events aggregated per (host, process, destination, port, protocol) by Splunk itself. `fillnull`
 * first: `stats ... by` drops every event that lacks one of the by-fields, and most lack DestinationHostname.
 */
export function buildBaselineSearch({ selection, hosts }: SearchFilter): string {
  const { count, first, last } = BASELINE_STATS;
  return [
    selection,
    `| where ${hostPredicate(hostMatch(hosts))}`,
    `| fillnull value="" ${BASELINE_BY.join(' ')}`,
    `| stats count AS ${count}, min(_time) AS ${first}, max(_time) AS ${last} BY ${BASELINE_BY.join(', ')}`,
  ].join('\n');
}

/** How many hosts (`Computer`) the selection has events of: one row. `dc` is exact, unlike `estdc`. */
export function buildHostCountSearch(selection: string): string {
  return [selection, `| stats dc(Computer) AS ${PREVALENCE_STATS.hosts}`].join('\n');
}

/** On how many hosts each (protocol, destination port) was seen; `fillnull` keeps events without one (see baseline). */
export function buildPortPrevalenceSearch(selection: string): string {
  return [
    selection,
    '| fillnull value="" Protocol DestinationPort',
    `| stats dc(Computer) AS ${PREVALENCE_STATS.hosts} BY Protocol, DestinationPort`,
  ].join('\n');
}

/**
 * On how many hosts each destination was contacted: the IP and the host name (lower-cased, without the root dot,
 * as the baseline reads it) counted together, since `stats ... BY` a multivalue field groups each value. Only those
 * seen on `minHosts` hosts or more and not Sysmon's "-", the most widespread first (ties by name), at most `limit`.
 */
export function buildDestinationPrevalenceSearch(options: { selection: string; minHosts: number; limit: number }): string {
  const { hosts, destination } = PREVALENCE_STATS;
  return [
    options.selection,
    `| eval ${destination}=mvappend(DestinationIp, rtrim(lower(DestinationHostname), "."))`,
    `| stats dc(Computer) AS ${hosts} BY ${destination}`,
    `| where ${hosts}>=${splCount(options.minHosts)} AND ${destination}!="-"`,
    // sort 0 would return every row.
    `| sort ${splCount(Math.max(options.limit, 1))} -${hosts}, ${destination}`,
  ].join('\n');
}

/** Splunk's time modifiers accept epoch seconds with a fraction; earliest is inclusive, latest exclusive. */
export const epochSeconds = (date: Date): string => (date.getTime() / 1_000).toFixed(3);
