import type { BaselineEntry, ConnectionEvent } from '../../contracts/connection-event.js';
import type { SourcePrevalence } from '../../contracts/prevalence.js';
import { attributeBaseline, type DeviceRow } from '../event-baseline.js';
import { durationMs } from '../source-config.js';
import { SourceError } from '../source-error.js';
import { byTimeThenId } from '../event-order.js';
import { createSourceHttpClient, type SourceHttpClient } from '../http/source-http-client.js';
import { batches } from '../batches.js';
import { sourceHttpOptions } from '../http/source-http-options.js';
import { finishPrevalence } from '../prevalence.js';
import type { ConnectorDeps, HostRef, PrevalenceQuery, SourceConnector, TimeRangeQuery } from '../types.js';
import type { ElasticConfig } from './config.js';
import { baselinePage, connectionFilter, estateFilter, hostClauses, prevalencePage, type Json } from './dsl.js';
import { hostNameMatches, toBaselineRow, toConnectionEvent, toDestinationPrevalence, toPortPrevalence } from './normalize.js';
import {
  BucketSchema,
  CompositeResponseSchema,
  DestinationBucketSchema,
  PortBucketSchema,
  PrevalenceResponseSchema,
  parseBody,
  parseItems,
  requireComplete,
} from './parse.js';
import { indexPath, searchAll, type PitSearchOptions } from './pit-search.js';

/** Elastic Defend's default since 8.15; Sysmon Event ID 3 is not deduplicated. */
const DEFEND_DEDUP_NOTE =
  'Elastic Defend drops repeated network events of the same process by default (deduplicate_network_events), ' +
  'so a beacon that keeps reconnecting may show once; Sysmon Event ID 3 events are not deduplicated.';

/**
 * Destination buckets one terms aggregation returns at most: two of them plus a port page (`page_size`, at most
 * 10,000) stay under Elasticsearch's `search.max_buckets` (65,536 by default).
 */
const MAX_DESTINATION_BUCKETS = 20_000;
/** Port pages read at most; past it the ports are cut and the answer partial. */
const MAX_PORT_PAGES = 1_000;

const given = (value: string | undefined) => (value !== undefined && value.trim() !== '' ? value.trim() : undefined);

/** The clauses match loosely (case, short vs FQDN, prefixes): keep events of hosts that are really watched. */
function belongsTo(hosts: readonly HostRef[]): (device: { hostname?: string; uid?: string; ip?: string }) => boolean {
  const names = hosts.map((host) => given(host.hostname)).filter((name): name is string => name !== undefined);
  const ids = new Set(hosts.flatMap((host) => (given(host.hostname) ? [] : [given(host.edr_id)])).filter((id) => id !== undefined));
  const ips = new Set(hosts.flatMap((host) => (given(host.hostname) || given(host.edr_id) ? [] : [given(host.ip)])).filter((ip) => ip !== undefined));
  return (device) =>
    names.some((name) => hostNameMatches(device.hostname, name)) ||
    (device.uid !== undefined && ids.has(device.uid)) ||
    (device.ip !== undefined && ips.has(device.ip));
}

/** Elastic Defend and Sysmon network events in Elasticsearch, read with point-in-time + search_after. */
export class ElasticConnector implements SourceConnector {
  readonly id: string;
  readonly type = 'elastic';
  readonly maxHostsPerQuery: number;
  readonly lookbackMs: number;
  readonly ingestionOverlapMs: number;
  readonly coverageNotes: string | undefined;
  private readonly http: SourceHttpClient;
  private readonly search: PitSearchOptions;
  private readonly authorization: string;

  constructor(
    private readonly config: ElasticConfig,
    private readonly deps: ConnectorDeps,
  ) {
    this.id = config.id;
    this.maxHostsPerQuery = config.max_hosts_per_query;
    this.lookbackMs = durationMs(config.lookback);
    this.ingestionOverlapMs = durationMs(config.ingestion_overlap);
    const readsDefend = config.indices.some((index) => index.includes('endpoint'));
    this.coverageNotes = config.defend_deduplicates && readsDefend ? DEFEND_DEDUP_NOTE : undefined;
    this.authorization = `ApiKey ${config.api_key}`;
    // A 429 from Elasticsearch (es_rejected_execution_exception) is rate_limited through the shared classification.
    this.http = createSourceHttpClient(sourceHttpOptions(config, deps));
    this.search = {
      sourceId: config.id,
      http: this.http,
      authorization: this.authorization,
      indices: config.indices,
      keepAlive: `${Math.round(durationMs(config.keep_alive) / 1_000)}s`,
      pageSize: config.page_size,
      logger: deps.logger,
    };
  }

  private queryableBatches(hosts: readonly HostRef[]): HostRef[][] {
    return batches(
      hosts.filter((host) => hostClauses([host]).length > 0),
      this.maxHostsPerQuery,
    );
  }

  async fetchConnections(query: TimeRangeQuery): Promise<ConnectionEvent[]> {
    const events = new Map<string, ConnectionEvent>();
    for (const hosts of this.queryableBatches(query.hosts)) {
      const hits = await searchAll(this.search, connectionFilter(hosts, query.from, query.to, query.covered), query.signal);
      const belongs = belongsTo(hosts);
      for (const hit of hits) {
        const event = toConnectionEvent(this.id, hit);
        if (belongs(event.device)) events.set(event.id, event);
      }
    }
    return [...events.values()].sort(byTimeThenId);
  }

  /** Aggregated by Elasticsearch (composite aggregation), paged by `after_key`. */
  async fetchBaseline(query: TimeRangeQuery): Promise<BaselineEntry[]> {
    const rowsRead: DeviceRow[] = [];
    for (const hosts of this.queryableBatches(query.hosts)) {
      const filter = connectionFilter(hosts, query.from, query.to);
      const belongs = belongsTo(hosts);
      let after: Record<string, Json> | undefined;
      for (let page = 1; ; page += 1) {
        const response = await this.aggregate(baselinePage({ query: filter, size: this.config.page_size, after }), query.signal);
        const body = parseBody(this.id, 'baseline _search', CompositeResponseSchema, response);
        requireComplete(this.id, body);
        const buckets = parseItems(this.id, 'baseline bucket', BucketSchema, body.aggregations.baseline.buckets);
        rowsRead.push(...buckets.map((bucket) => toBaselineRow(this.id, bucket)).filter((row) => belongs(row.device)));
        const next = body.aggregations.baseline.after_key;
        if (buckets.length === 0 || !next) break;
        if (JSON.stringify(next) === JSON.stringify(after)) throw new SourceError('terminal', this.id, 'baseline paging did not advance; after_key repeated');
        if (page >= this.config.baseline_max_pages) {
          this.deps.logger.warn({ source: this.id, pages: page }, 'baseline larger than baseline_max_pages; the rest of it is not read');
          break;
        }
        after = next;
      }
    }
    return attributeBaseline(query.hosts, rowsRead);
  }

  /**
   * Aggregated by Elasticsearch over every host's outbound connection starts (no host filter): the estate's distinct
   * `host.id`s, per transport/port (composite, paged by `after_key`) and per destination address and DNS name (terms
   * ordered by distinct hosts). Partial when the port pages or the destination buckets reach their caps.
   */
  async fetchPrevalence(query: PrevalenceQuery): Promise<SourcePrevalence> {
    const filter = estateFilter(query.from, query.to);
    const destinationBuckets = Math.min(query.maxDestinations, MAX_DESTINATION_BUCKETS);
    const size = this.config.page_size;
    const answer: SourcePrevalence = { host_count: 0, ports: [], destinations: [], partial: false };
    let after: Record<string, Json> | undefined;
    for (let page = 1; ; page += 1) {
      const first = page === 1;
      const destinations = first ? { size: destinationBuckets, minHosts: query.minDestinationHosts } : undefined;
      const body = parseBody(this.id, 'prevalence _search', PrevalenceResponseSchema, await this.aggregate(prevalencePage({ query: filter, size, after, destinations }), query.signal, durationMs(this.config.prevalence_timeout)));
      requireComplete(this.id, body);
      const { aggregations } = body;
      if (first) {
        const { estate_hosts: hosts, destination_ips: ips, destination_domains: domains } = aggregations;
        if (!hosts || !ips || !domains) throw new SourceError('terminal', this.id, 'prevalence _search answered without its host count or destination aggregations');
        answer.host_count = hosts.value ?? 0;
        for (const terms of [ips, domains]) {
          const buckets = parseItems(this.id, 'prevalence destination bucket', DestinationBucketSchema, terms.buckets);
          answer.destinations.push(...buckets.map(toDestinationPrevalence));
          if (destinationBuckets < query.maxDestinations && buckets.length >= destinationBuckets) answer.partial = true;
        }
      }
      const buckets = parseItems(this.id, 'prevalence port bucket', PortBucketSchema, aggregations.ports.buckets);
      answer.ports.push(...buckets.map(toPortPrevalence));
      const next = aggregations.ports.after_key;
      if (buckets.length < size || !next) break;
      if (JSON.stringify(next) === JSON.stringify(after)) throw new SourceError('terminal', this.id, 'prevalence paging did not advance; after_key repeated');
      if (page >= MAX_PORT_PAGES) {
        answer.partial = true;
        break;
      }
      after = next;
    }
    if (answer.partial) this.deps.logger.warn({ source: this.id, ports: answer.ports.length, destinations: answer.destinations.length }, 'estate prevalence cut at its bucket caps; the counts are lower bounds');
    return finishPrevalence(answer, query);
  }

  /** A size-0 `_search` of the configured indices: aggregations only. */
  private async aggregate(body: Json, signal: AbortSignal | undefined, timeoutMs?: number): Promise<unknown> {
    const response = await this.http.request<unknown>({
      method: 'POST',
      url: `/${indexPath(this.config.indices)}/_search`,
      headers: { Authorization: this.authorization, 'Content-Type': 'application/json' },
      data: body,
      signal,
      ...(timeoutMs === undefined ? {} : { timeout: timeoutMs }),
    });
    return response.data;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
