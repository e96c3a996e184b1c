import { firstLabel } from '../../lib/net.js';
import type { HostRef, CoveredRange } from '../types.js';

/**
 * Query DSL bodies. They are JSON built as objects, so a host name is always one JSON string value and can never
 * become query syntax; term and prefix queries take their value literally (no wildcards, no analysis).
 */

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** What the connector reads of each hit, through the `fields` API: flat, whatever the document's nesting. */
export const HIT_FIELDS = [
  '@timestamp',
  'event.outcome',
  'host.name',
  'host.id',
  'host.ip',
  'process.pid',
  'process.name',
  'process.executable',
  'process.command_line',
  'process.hash.sha1',
  'process.hash.sha256',
  // Elastic Defend's network events carry neither parent field (they are on its process events); other shippers may.
  'process.parent.name',
  'process.parent.executable',
  // Seconds the process had been up: Defend's Windows network events carry it, Sysmon Event ID 3 does not.
  'process.uptime',
  'user.name',
  'user.domain',
  'source.ip',
  'source.port',
  'destination.ip',
  'destination.port',
  'destination.domain',
  'network.transport',
  'network.direction',
] as const;

/** Outbound in both shapes: Defend says egress (older agents outgoing), Sysmon's pipeline egress for Initiated=true. */
export const OUTBOUND_DIRECTIONS = ['egress', 'outgoing', 'outbound'];

const given = (value: string | undefined) => (value !== undefined && value.trim() !== '' ? value.trim() : undefined);
const caseless = (query: 'term' | 'prefix', value: string): Json => ({ [query]: { 'host.name': { value, case_insensitive: true } } });

/**
 * Each host's clause: its name case-insensitively, as given and as the other form (`host.name` is the short name
 * on some agents and the FQDN on others); else its `host.id`; else its IP. Callers keep exact matches only.
 */
export function hostClauses(hosts: readonly HostRef[]): Json[] {
  return hosts.flatMap((host): Json[] => {
    const hostname = given(host.hostname);
    if (hostname) {
      const short = firstLabel(hostname);
      return short === hostname ? [caseless('term', hostname), caseless('prefix', `${hostname}.`)] : [caseless('term', hostname), caseless('term', short)];
    }
    const id = given(host.edr_id);
    if (id) return [{ term: { 'host.id': id } }];
    const ip = given(host.ip);
    return ip ? [{ term: { 'host.ip': ip } }] : [];
  });
}

/** Outbound connection starts in [from, to); `disconnect_received` and flow ends are left out. */
function outboundStarts(from: Date, to: Date): Json[] {
  return [
    { range: { '@timestamp': { gte: from.toISOString(), lt: to.toISOString(), format: 'strict_date_optional_time' } } },
    { term: { 'event.category': 'network' } },
    { term: { 'event.type': 'start' } },
    { terms: { 'network.direction': OUTBOUND_DIRECTIONS } },
  ];
}

/**
 * `@timestamp` from `until` on, or `event.ingested` (the ingest pipeline's clock) from `ingestedSince` on, rounded
 * down to the second: Fleet's pipelines may keep whole seconds, and a second more is read, never one less. A document
 * without `event.ingested` (a pipeline that does not set it) is always read.
 */
function readSince(covered: CoveredRange): Json {
  const ingestedSince = new Date(Math.floor(covered.ingestedSince.getTime() / 1_000) * 1_000);
  return {
    bool: {
      should: [
        { range: { '@timestamp': { gte: covered.until.toISOString(), format: 'strict_date_optional_time' } } },
        { range: { 'event.ingested': { gte: ingestedSince.toISOString(), format: 'strict_date_optional_time' } } },
        { bool: { must_not: [{ exists: { field: 'event.ingested' } }] } },
      ],
      minimum_should_match: 1,
    },
  };
}

/** Outbound connection starts of the hosts in [from, to); with `covered`, only what an earlier read did not return. */
export function connectionFilter(hosts: readonly HostRef[], from: Date, to: Date, covered?: CoveredRange): Json {
  const clauses = hostClauses(hosts);
  // An empty host clause would read every host of the cluster.
  if (clauses.length === 0) throw new RangeError('no host to query');
  return {
    bool: {
      filter: [...outboundStarts(from, to), { bool: { should: clauses, minimum_should_match: 1 } }, ...(covered ? [readSince(covered)] : [])],
    },
  };
}

/** Every host's outbound connection starts in [from, to): the estate, for prevalence. */
export function estateFilter(from: Date, to: Date): Json {
  return { bool: { filter: outboundStarts(from, to) } };
}

export function searchPage(options: { query: Json; pitId: string; keepAlive: string; size: number; after?: Json[] }): Json {
  return {
    size: options.size,
    query: options.query,
    pit: { id: options.pitId, keep_alive: options.keepAlive },
    // _shard_doc is the tie-breaker every PIT search has; naming it keeps search_after exact.
    sort: [{ '@timestamp': { order: 'asc', format: 'strict_date_optional_time_nanos' } }, { _shard_doc: 'asc' }],
    ...(options.after ? { search_after: options.after } : {}),
    track_total_hits: false,
    _source: false,
    fields: [...HIT_FIELDS],
  };
}

/**
 * Composite-aggregation sources of the baseline: one bucket per host, process, hash, destination, port, transport. The
 * host is its name, agent id and the connection's local address, so a bucket is attributed to the watched host by
 * whichever of them the webhook gave (`host.ip` lists every address of the host: grouping by it would count a
 * connection once per address).
 */
export const BASELINE_SOURCES = {
  host: 'host.name',
  host_id: 'host.id',
  src_ip: 'source.ip',
  path: 'process.executable',
  name: 'process.name',
  sha1: 'process.hash.sha1',
  dst_ip: 'destination.ip',
  dst_domain: 'destination.domain',
  dst_port: 'destination.port',
  transport: 'network.transport',
} as const;

export function baselinePage(options: { query: Json; size: number; after?: Record<string, Json> }): Json {
  const sources = Object.entries(BASELINE_SOURCES).map(([name, field]): Json => ({
    [name]: { terms: { field, ...(name === 'host' ? {} : { missing_bucket: true }) } },
  }));
  return {
    size: 0,
    track_total_hits: false,
    query: options.query,
    aggs: {
      baseline: {
        composite: { size: options.size, sources, ...(options.after ? { after: options.after } : {}) },
        aggs: { first_seen: { min: { field: '@timestamp' } }, last_seen: { max: { field: '@timestamp' } } },
      },
    },
  };
}

/** What tells hosts apart in prevalence counts: the agent's host id, the same whatever the host's name form. */
const HOST_ID_FIELD = 'host.id';
/**
 * `cardinality` is close to exact up to its `precision_threshold` and a HyperLogLog++ estimate above it (off by a few
 * percent at most). The estate count gets Elasticsearch's maximum; per-bucket counts 10,000, so a port or destination
 * seen on up to 10,000 hosts is counted near exactly, at up to 80 kB of memory per bucket.
 */
const ESTATE_PRECISION = 40_000;
const BUCKET_PRECISION = 10_000;

/** Composite sources of the port prevalence: one bucket per transport and destination port. */
export const PORT_PREVALENCE_SOURCES = { transport: 'network.transport', port: 'destination.port' } as const;
/** Destinations counted: the address, and the DNS name Sysmon logs (Elastic Defend's network events carry none). */
export const DESTINATION_PREVALENCE_FIELDS = { destination_ips: 'destination.ip', destination_domains: 'destination.domain' } as const;

function integer(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a non-negative integer: ${value}`);
  return value;
}

const distinctHosts = (precision: number): Json => ({ cardinality: { field: HOST_ID_FIELD, precision_threshold: precision } });

/**
 * Destinations by the number of hosts that contacted them, most first, those with fewer than `minHosts` dropped.
 * `min_doc_count` is a cheap pre-filter (a destination seen on n hosts has at least n events); `bucket_selector`
 * is the real one, applied after the cut to `size`.
 */
function widespreadDestinations(field: string, size: number, minHosts: number): Json {
  return {
    terms: { field, size, min_doc_count: minHosts, order: [{ hosts: 'desc' }, { _key: 'asc' }] },
    aggs: {
      hosts: distinctHosts(BUCKET_PRECISION),
      widespread: { bucket_selector: { buckets_path: { hosts: 'hosts' }, script: `params.hosts >= ${integer(minHosts)}` } },
    },
  };
}

/**
 * One page of the estate prevalence: hosts per transport/port (composite, paged by `after`). The first page also
 * carries the estate's host count and the most widespread destinations, which need no paging.
 */
export function prevalencePage(options: { query: Json; size: number; after?: Record<string, Json>; destinations?: { size: number; minHosts: number } }): Json {
  const sources = Object.entries(PORT_PREVALENCE_SOURCES).map(([name, field]): Json => ({ [name]: { terms: { field, missing_bucket: true } } }));
  const aggs: Record<string, Json> = {
    ports: {
      composite: { size: options.size, sources, ...(options.after ? { after: options.after } : {}) },
      aggs: { hosts: distinctHosts(BUCKET_PRECISION) },
    },
  };
  const { destinations } = options;
  if (destinations) {
    aggs.estate_hosts = distinctHosts(ESTATE_PRECISION);
    for (const [name, field] of Object.entries(DESTINATION_PREVALENCE_FIELDS)) aggs[name] = widespreadDestinations(field, destinations.size, destinations.minHosts);
  }
  return { size: 0, track_total_hits: false, query: options.query, aggs };
}
