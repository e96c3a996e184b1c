import type { HostRef, CoveredRange } from '../types.js';

/**
 * KQL for `DeviceNetworkEvents`. Every value from outside (host names, IPs, device ids, cursor values) is
 * emitted only through the literal helpers below, so no host name can change the query's structure.
 */

/** Outbound connection events, as Microsoft's ASIM NetworkSession parser reads them. */
export const OUTBOUND_ACTION_TYPES = ['ConnectionSuccess', 'ConnectionFailed', 'ConnectionRequest'] as const;

export const CONNECTION_COLUMNS = [
  'Timestamp',
  'DeviceId',
  'DeviceName',
  'ActionType',
  'RemoteIP',
  'RemotePort',
  'RemoteUrl',
  'LocalIP',
  'LocalPort',
  'Protocol',
  'InitiatingProcessFileName',
  'InitiatingProcessFolderPath',
  'InitiatingProcessCommandLine',
  'InitiatingProcessSHA1',
  'InitiatingProcessSHA256',
  'InitiatingProcessId',
  'InitiatingProcessAccountDomain',
  'InitiatingProcessAccountName',
  'InitiatingProcessCreationTime',
  'InitiatingProcessParentFileName',
  'InitiatingProcessVersionInfoCompanyName',
  'ReportId',
] as const;

/** The device's id, name and local IP: a row is attributed to the watched host by whichever of them the webhook gave. */
export const BASELINE_GROUP_COLUMNS = [
  'DeviceId',
  'DeviceName',
  'LocalIP',
  'InitiatingProcessFolderPath',
  'InitiatingProcessFileName',
  'InitiatingProcessSHA1',
  'RemoteIP',
  'RemoteUrl',
  'RemotePort',
  'Protocol',
] as const;

/** Names of the baseline query's computed columns. */
export const BASELINE_COLUMNS = { count: 'EventCount', first: 'FirstSeen', last: 'LastSeen', key: 'GroupKey' } as const;

/** Names of the prevalence queries' computed columns. */
export const PREVALENCE_COLUMNS = { hosts: 'Hosts', destination: 'Destination' } as const;

/** Advanced hunting returns at most this many rows; a query asking for no more sees a cut instead of suffering one. */
export const HUNTING_ROW_LIMIT = 100_000;

/** MDE protocol names by prefix, the longer prefix first: `TcpV4` is tcp, `IcmpV6` icmpv6. */
export const PROTOCOL_PREFIXES = ['tcp', 'udp', 'icmpv6', 'icmp'] as const;

const STRING_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * A double-quoted KQL string literal. KQL's lexer ends such a literal at an unescaped `"` and refuses a raw
 * CR or LF inside it; backslash escapes `\\ \" \n \r \t` cover exactly those, every other character stands for
 * itself (grammar: microsoft/Kusto-Query-Language `KqlTokens.g4`, STRINGLITERAL).
 */
export function kqlString(value: string): string {
  return `"${value.replace(/[\\"\n\r\t]/g, (char) => STRING_ESCAPES[char] ?? char)}"`;
}

const KQL_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,7})?Z$/;

/**
 * A `datetime(...)` literal from a Date or from a UTC ISO string such as MDE's 7-digit `Timestamp`. The lexer
 * reads a datetime literal up to the first `)`, so anything but a strict UTC ISO form is refused.
 */
export function kqlDatetime(value: Date | string): string {
  const text = typeof value === 'string' ? value : value.toISOString();
  if (!KQL_DATETIME.test(text)) throw new RangeError(`not a UTC ISO 8601 datetime: ${JSON.stringify(text)}`);
  return `datetime(${text})`;
}

/** A `long` literal; the value must be a plain decimal integer. */
export function kqlLong(value: string | number): string {
  const text = String(value);
  if (!/^-?\d{1,19}$/.test(text)) throw new RangeError(`not a long: ${JSON.stringify(text)}`);
  return text;
}

const kqlStringList = (values: readonly string[]) => `(${values.map(kqlString).join(', ')})`;

/** How each kind of host identifier is matched. */
export interface HostMatch {
  /** FQDNs, case-insensitive against DeviceName. */
  deviceNames: string[];
  /** Short names, case-insensitive against DeviceName's first DNS label. */
  shortNames: string[];
  /** MDE device ids. */
  deviceIds: string[];
  /** Hosts known only by IP, matched against LocalIP. */
  localIps: string[];
}

/**
 * Sorts host identifiers into matchers. A host known by name or id is not also matched by IP: addresses
 * move between hosts (DHCP, VPN), names and ids do not.
 */
export function hostMatch(hosts: readonly HostRef[]): HostMatch {
  const match: HostMatch = { deviceNames: [], shortNames: [], deviceIds: [], localIps: [] };
  const add = (list: string[], value: string) => {
    if (!list.includes(value)) list.push(value);
  };
  const given = (value: string | undefined) => (value !== undefined && value.trim() !== '' ? value : undefined);
  for (const host of hosts) {
    const hostname = given(host.hostname);
    const edrId = given(host.edr_id);
    const ip = given(host.ip);
    if (edrId) add(match.deviceIds, edrId);
    if (hostname) add(hostname.includes('.') ? match.deviceNames : match.shortNames, hostname);
    if (!hostname && !edrId && ip) add(match.localIps, ip);
  }
  return match;
}

export const isEmptyHostMatch = (match: HostMatch): boolean =>
  match.deviceNames.length + match.shortNames.length + match.deviceIds.length + match.localIps.length === 0;

function hostPredicate(match: HostMatch): string {
  const terms: string[] = [];
  if (match.deviceNames.length > 0) terms.push(`DeviceName in~ ${kqlStringList(match.deviceNames)}`);
  if (match.shortNames.length > 0) terms.push(`tostring(split(DeviceName, ".")[0]) in~ ${kqlStringList(match.shortNames)}`);
  if (match.deviceIds.length > 0) terms.push(`DeviceId in ${kqlStringList(match.deviceIds)}`);
  if (match.localIps.length > 0) terms.push(`LocalIP in ${kqlStringList(match.localIps)}`);
  // An empty filter would silently query every device of the tenant.
  if (terms.length === 0) throw new RangeError('no host identifier to query');
  return terms.join(' or ');
}

export interface TimeFilter {
  from: Date;
  to: Date;
}

export interface RangeFilter extends TimeFilter {
  hosts: readonly HostRef[];
}

/** Outbound connection events of every device in [from, to). */
function estateEvents({ from, to }: TimeFilter): string[] {
  return [
    'DeviceNetworkEvents',
    `| where Timestamp >= ${kqlDatetime(from)} and Timestamp < ${kqlDatetime(to)}`,
    `| where ActionType in ${kqlStringList(OUTBOUND_ACTION_TYPES)}`,
  ];
}

function filteredEvents(filter: RangeFilter): string[] {
  return [...estateEvents(filter), `| where ${hostPredicate(hostMatch(filter.hosts))}`];
}

/** Where the previous page ended: the last row's raw Timestamp, DeviceId and ReportId. */
export interface ConnectionCursor {
  timestamp: string;
  deviceId: string;
  reportId: string;
}

/**
 * One page of connection events, ordered by (Timestamp, DeviceId, ReportId). Graph has no cursor, so the
 * next page starts strictly after the previous page's last tuple (keyset paging). With `covered`, rows an earlier
 * read returned are left out by their ingestion time; a row without one (a table whose IngestionTime policy is off
 * returns null) is always read, so the filter can only spare rows, never lose one.
 */
export function buildConnectionsQuery(filter: RangeFilter & { pageSize: number; after?: ConnectionCursor; covered?: CoveredRange }): string {
  const lines = filteredEvents(filter);
  if (filter.covered) {
    lines.push(
      `| where Timestamp >= ${kqlDatetime(filter.covered.until)} or isnull(ingestion_time()) or ingestion_time() >= ${kqlDatetime(filter.covered.ingestedSince)}`,
    );
  }
  if (filter.after) {
    const t = kqlDatetime(filter.after.timestamp);
    const d = kqlString(filter.after.deviceId);
    lines.push(
      `| where Timestamp > ${t} or (Timestamp == ${t} and (strcmp(DeviceId, ${d}) > 0 or (DeviceId == ${d} and ReportId > ${kqlLong(filter.after.reportId)})))`,
    );
  }
  lines.push(
    `| project ${CONNECTION_COLUMNS.join(', ')}`,
    '| order by Timestamp asc, DeviceId asc, ReportId asc',
    `| take ${kqlLong(filter.pageSize)}`,
  );
  return lines.join('\n');
}

/**
 * One page of the baseline: events aggregated per (host, process, destination, port, protocol). Paged by
 * keyset on a hash of the group columns, so a wide baseline is read whole rather than cut at one page.
 */
export function buildBaselineQuery(filter: RangeFilter & { pageSize: number; afterKey?: string }): string {
  const { count, first, last, key } = BASELINE_COLUMNS;
  const lines = filteredEvents(filter);
  lines.push(
    `| summarize ${count} = count(), ${first} = min(Timestamp), ${last} = max(Timestamp) by ${BASELINE_GROUP_COLUMNS.join(', ')}`,
    `| extend ${key} = hash_sha256(tostring(pack_array(${BASELINE_GROUP_COLUMNS.join(', ')})))`,
  );
  if (filter.afterKey !== undefined) lines.push(`| where strcmp(${key}, ${kqlString(filter.afterKey)}) > 0`);
  lines.push(`| order by ${key} asc`, `| take ${kqlLong(filter.pageSize)}`);
  return lines.join('\n');
}

/** Accuracy 2 counts exactly up to about 8,000 devices (0.4 % off above); the default is exact only to 1,000. */
const DISTINCT_DEVICES = 'dcount(DeviceId, 2)';

/** How many devices made outbound connections in [from, to): one row, one column. */
export function buildHostCountQuery(filter: TimeFilter): string {
  return [...estateEvents(filter), `| summarize ${PREVALENCE_COLUMNS.hosts} = ${DISTINCT_DEVICES}`].join('\n');
}

/**
 * On how many devices each (protocol, remote port) was seen, protocols normalized in the query as `normalizeProtocol`
 * does (so `TcpV4` and `TcpV6` devices are counted once, as tcp), the most widespread first, at most `limit` rows.
 */
export function buildPortPrevalenceQuery(filter: TimeFilter & { limit: number }): string {
  const { hosts } = PREVALENCE_COLUMNS;
  const prefixes = PROTOCOL_PREFIXES.map((prefix) => `Proto startswith ${kqlString(prefix)}, ${kqlString(prefix)}`).join(', ');
  return [
    ...estateEvents(filter),
    `| extend Proto = tolower(trim(${kqlString('\\s+')}, Protocol))`,
    `| summarize ${hosts} = ${DISTINCT_DEVICES} by Protocol = case(Proto == "" or Proto == "unknown", "unknown", ${prefixes}, Proto), RemotePort`,
    `| top ${kqlLong(filter.limit)} by ${hosts} desc`,
  ].join('\n');
}

/**
 * On how many devices each destination was contacted: the remote IP and the host of `RemoteUrl`, taken as `remoteHost`
 * takes it (a URL's host, else the text before any path with a lone `:port` dropped), counted together so an address
 * named both ways is one destination. Only those seen on `minHosts` devices or more, the most widespread first (ties
 * by name), at most `limit` rows.
 */
export function buildDestinationPrevalenceQuery(filter: TimeFilter & { minHosts: number; limit: number }): string {
  const { hosts, destination } = PREVALENCE_COLUMNS;
  return [
    ...estateEvents(filter),
    `| extend Url = trim(${kqlString('\\s+')}, RemoteUrl)`,
    `| extend Bare = extract(${kqlString('^[^/?#]*')}, 0, Url)`,
    '| extend UrlHost = tolower(iff(Url contains "://", tostring(parse_url(Url).Host), iff(countof(Bare, ":") == 1, tostring(split(Bare, ":")[0]), Bare)))',
    `| extend ${destination} = pack_array(RemoteIP, UrlHost)`,
    `| mv-expand ${destination} to typeof(string)`,
    `| where isnotempty(${destination})`,
    `| summarize ${hosts} = ${DISTINCT_DEVICES} by ${destination}`,
    `| where ${hosts} >= ${kqlLong(filter.minHosts)}`,
    `| order by ${hosts} desc, ${destination} asc`,
    `| take ${kqlLong(filter.limit)}`,
  ].join('\n');
}

/** Graph's `Timespan` for the same range, so the service-side window never clips the query's own. */
export const timespanOf = (from: Date, to: Date): string => `${from.toISOString()}/${to.toISOString()}`;
