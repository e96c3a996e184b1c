import type { CoveredRange } from '../types.js';

/**
 * LogScale (CQL) queries for Next-Gen SIEM. Outside values reach a query only as `cqlString` literals of
 * validated device and event ids; numbers are emitted by `cqlInteger`. Host names never appear here: they are
 * resolved to device ids through the Hosts API first.
 */

const CQL_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A double-quoted CQL string: backslash, quote and line breaks escaped. */
export function cqlString(value: string): string {
  return `"${value.replace(/[\\"\n\r\t]/g, (char) => CQL_ESCAPES[char] ?? char)}"`;
}

export function cqlInteger(value: number): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a non-negative integer: ${value}`);
  return String(value);
}

/** A Falcon agent id (`aid`, the Hosts API `device_id`): 32 hex digits. */
export const AID_PATTERN = /^[0-9a-f]{32}$/i;
/** LogScale's own event id (`@id`), present on every result event. */
export const EVENT_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

const validated = (pattern: RegExp, what: string, normalize: (value: string) => string) => (value: string) => {
  if (!pattern.test(value)) throw new RangeError(`not ${what}: ${JSON.stringify(value)}`);
  return cqlString(normalize(value));
};
const aidLiteral = validated(AID_PATTERN, 'a Falcon device id', (aid) => aid.toLowerCase());
const eventIdLiteral = validated(EVENT_ID_PATTERN, 'a LogScale event id', (id) => id);

export const NETWORK_EVENTS = ['NetworkConnectIP4', 'NetworkConnectIP6'] as const;

/**
 * What the process join adds from `ProcessRollup2` (keyed by aid + TargetProcessId). Of the parent Falcon reports only
 * the file name (`ParentBaseFileName`); `ProcessStartTime` is epoch seconds with a fraction.
 */
export const PROCESS_FIELDS = [
  'ImageFileName',
  'CommandLine',
  'SHA1HashData',
  'SHA256HashData',
  'RawProcessId',
  'UserName',
  'ParentBaseFileName',
  'ProcessStartTime',
] as const;

export const BASELINE_GROUP_FIELDS = ['aid', 'ImageFileName', 'SHA1HashData', 'RemoteAddressIP4', 'RemoteAddressIP6', 'RemotePort', 'Protocol'] as const;
export const BASELINE_AGGREGATES = { count: 'EventCount', first: 'FirstSeen', last: 'LastSeen' } as const;

export const PORT_PREVALENCE_FIELDS = ['Protocol', 'RemotePort'] as const;
export const DESTINATION_PREVALENCE_FIELDS = ['RemoteAddressIP4', 'RemoteAddressIP6'] as const;
/** What the prevalence queries name their outputs: distinct aids per group, overall, and the number of groups. */
export const PREVALENCE_OUTPUTS = { hosts: 'Hosts', estateHosts: 'EstateHosts', groups: 'Groups' } as const;
/** The most rows `sort()` returns: LogScale's StateRowLimit, 20,000 before 1.182 and 200,000 since; the lower holds on both. */
export const SORT_MAX_ROWS = 20_000;

const list = (values: readonly string[]) => `[${values.join(', ')}]`;

function aidFilter(aids: readonly string[]): string {
  if (aids.length === 0) throw new RangeError('no device id to query');
  return `in(field="aid", values=${list(aids.map(aidLiteral))})`;
}

const networkEventNames = () => `(${NETWORK_EVENTS.map((name) => `#event_simpleName=${cqlString(name)}`).join(' or ')})`;

function networkEvents(aids: readonly string[]): string[] {
  return [networkEventNames(), `| ${aidFilter(aids)}`];
}

/**
 * The connecting process's image, command line and hashes, from its `ProcessRollup2` (the network event only
 * carries Falcon's process id). `mode=left` keeps connections whose process started before `startMs`.
 */
function processJoin(aids: readonly string[], process: ProcessJoinWindow): string {
  return (
    `| join({#event_simpleName=${cqlString('ProcessRollup2')} | ${aidFilter(aids)}}, ` +
    `field=[aid, ContextProcessId], key=[aid, TargetProcessId], include=${list(PROCESS_FIELDS)}, mode=left, ` +
    `start=${cqlInteger(process.startMs)}, limit=${cqlInteger(process.limit)})`
  );
}

/** Where the process join looks: `ProcessRollup2` events from `startMs`, at most `limit` of them. */
export interface ProcessJoinWindow {
  startMs: number;
  limit: number;
}

export interface ConnectionsQuery {
  aids: readonly string[];
  /** `@id`s of the page's first millisecond that an earlier page already returned. */
  excludeIds: readonly string[];
  process: ProcessJoinWindow;
  pageSize: number;
  covered?: CoveredRange;
}

/**
 * One page: the `pageSize` oldest network events of the job's time range (`head()` keeps the oldest). The next
 * page's job starts at the last event's millisecond and leaves out the ids already read at that millisecond. With
 * `covered`, events before its `until` come only when LogScale ingested them (`@ingesttimestamp`, epoch ms, which
 * LogScale sets on every event) at or after its `ingestedSince`.
 */
export function buildConnectionsQuery(query: ConnectionsQuery): string {
  const lines = networkEvents(query.aids);
  if (query.covered) {
    const { until, ingestedSince } = query.covered;
    // LogScale fails a comparison on a field the event lacks: an event without an ingest time is always read.
    lines.push(`| (@timestamp >= ${cqlInteger(until.getTime())} or @ingesttimestamp >= ${cqlInteger(ingestedSince.getTime())} or not (@ingesttimestamp = *))`);
  }
  if (query.excludeIds.length > 0) lines.push(`| !in(field="@id", values=${list(query.excludeIds.map(eventIdLiteral))})`);
  lines.push(processJoin(query.aids, query.process), `| head(limit=${cqlInteger(query.pageSize)})`);
  return lines.join('\n');
}

/** The baseline, aggregated by LogScale itself per device, image, hash, destination, port and protocol. */
export function buildBaselineQuery(query: { aids: readonly string[]; process: ProcessJoinWindow; maxGroups: number }): string {
  const { count, first, last } = BASELINE_AGGREGATES;
  // groupBy() drops events missing a group field: a process the join did not find must still count.
  const defaulted = BASELINE_GROUP_FIELDS.filter((field) => field !== 'aid');
  return [
    ...networkEvents(query.aids),
    processJoin(query.aids, query.process),
    `| default(field=${list(defaulted)}, value="")`,
    `| groupBy(${list(BASELINE_GROUP_FIELDS)}, function=[count(as=${count}), min(field=@timestamp, as=${first}), max(field=@timestamp, as=${last})], limit=${cqlInteger(query.maxGroups)})`,
  ].join('\n');
}

/**
 * The estate's host count and, per protocol and port, on how many devices it was seen: every device's network events
 * (no aid filter). `stats()` puts the overall distinct count on every group row (its outputs are combined as a
 * Cartesian product), so one job answers both. `count(distinct=true)` is exact for small counts and an estimate for
 * very large ones, as LogScale documents.
 */
export function buildPortPrevalenceQuery(query: { maxGroups: number }): string {
  const { hosts, estateHosts } = PREVALENCE_OUTPUTS;
  // groupBy() drops events missing a group field: a portless event must still count for its protocol.
  return [
    networkEventNames(),
    `| default(field=${list(PORT_PREVALENCE_FIELDS)}, value="")`,
    `| stats([count(aid, distinct=true, as=${estateHosts}), groupBy(${list(PORT_PREVALENCE_FIELDS)}, function=count(aid, distinct=true, as=${hosts}), limit=${cqlInteger(query.maxGroups)})])`,
  ].join('\n');
}

/**
 * Per destination address, on how many devices it was contacted: the `keep` most widespread with at least
 * `minHosts`. The group count rides on every row (`stats()` again), so a groupBy() that reached `maxGroups`
 * shows even after the sort and the filter have cut the rows.
 */
export function buildDestinationPrevalenceQuery(query: { maxGroups: number; keep: number; minHosts: number }): string {
  const { hosts, groups } = PREVALENCE_OUTPUTS;
  return [
    networkEventNames(),
    `| default(field=${list(DESTINATION_PREVALENCE_FIELDS)}, value="")`,
    `| groupBy(${list(DESTINATION_PREVALENCE_FIELDS)}, function=count(aid, distinct=true, as=${hosts}), limit=${cqlInteger(query.maxGroups)})`,
    `| stats([count(as=${groups}), sort(${hosts}, order=desc, limit=${cqlInteger(query.keep)})])`,
    `| ${hosts} >= ${cqlInteger(query.minHosts)}`,
  ].join('\n');
}
