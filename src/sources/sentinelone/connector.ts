import type { BaselineEntry, ConnectionEvent } from '../../contracts/connection-event.js';
import type { SourcePrevalence } from '../../contracts/prevalence.js';
import { baselineFromEvents } from '../event-baseline.js';
import { durationMs } from '../source-config.js';
import { SourceError } from '../source-error.js';
import { byTimeThenId } from '../event-order.js';
import { createSourceHttpClient, type SourceHttpClient } from '../http/source-http-client.js';
import { batches } from '../batches.js';
import { sourceHttpOptions } from '../http/source-http-options.js';
import { prevalenceFromEvents } from '../prevalence.js';
import type { ConnectorDeps, HostRef, HostVisibility, PrevalenceQuery, SourceConnector, TimeRangeQuery } from '../types.js';
import { resolveAgents } from './agents.js';
import type { SentineloneConfig } from './config.js';
import { createDvQueryRunner, type DvQueryRunner } from './dv-query.js';
import { agentIsNamed, agentUuidOf, hostnameOf, lookupIpOf, searchNames } from './host-names.js';
import { toConnectionEvent } from './normalize.js';
import { parseEvents } from './parse.js';
import { buildEstateIpConnectQuery, buildIpConnectQuery, isEmptyMatch, type AgentMatch } from './s1ql.js';
import { budgetThenGate, statusGateFor } from './status-gate.js';

/** A query that fills its limit is split in halves of its time range, at most this many times deep. */
const MAX_SPLIT_DEPTH = 6;

/** A batch's Deep Visibility filter, and which of the events it returns are the batch's hosts'. */
interface BatchMatch {
  match: AgentMatch;
  belongs: (event: ConnectionEvent) => boolean;
}

/** `agentsByIp`: the UUIDs of the agents whose interfaces carry the address of a batch host given by IP only. */
function batchMatch(hosts: readonly HostRef[], agentsByIp: readonly string[]): BatchMatch {
  const names = hosts.map(hostnameOf).filter((name): name is string => name !== undefined);
  const uuids = new Set([...hosts.map(agentUuidOf).filter((uuid): uuid is string => uuid !== undefined), ...agentsByIp]);
  return {
    match: { names: [...new Set(names.flatMap(searchNames))], uuids: [...uuids] },
    // The name match is by substring: only events of agents that are one of the hosts are kept.
    belongs: (event) =>
      (event.device.uid !== undefined && uuids.has(event.device.uid.replaceAll('-', '').toLowerCase())) ||
      names.some((name) => agentIsNamed(event.device.hostname, name)),
  };
}

/**
 * SentinelOne through Deep Visibility (S1QL 1.0). The 2.1 API marks DV deprecated in favour of PowerQuery, but
 * DV is what the public swagger documents end to end (init, status, cursor pages) and what every Complete
 * console still serves; PowerQuery's answer shape is not public. Moving to PowerQuery means a new `dv-query`.
 */
export class SentineloneConnector implements SourceConnector {
  readonly id: string;
  readonly type = 'sentinelone';
  readonly maxHostsPerQuery: number;
  readonly lookbackMs: number;
  private readonly dv: DvQueryRunner;
  private readonly authorization: string;
  private readonly http: SourceHttpClient;

  constructor(
    private readonly config: SentineloneConfig,
    private readonly deps: ConnectorDeps,
  ) {
    this.id = config.id;
    this.maxHostsPerQuery = config.max_hosts_per_query;
    this.lookbackMs = durationMs(config.lookback);
    this.authorization = `ApiToken ${config.api_token}`;
    const common = sourceHttpOptions(config, deps);
    this.http = createSourceHttpClient(common);
    this.dv = createDvQueryRunner({
      sourceId: config.id,
      http: this.http,
      statusHttp: createSourceHttpClient({ ...common, budget: budgetThenGate(common.budget, statusGateFor(config.api_token)) }),
      authorization: this.authorization,
      accountIds: config.account_ids,
      siteIds: config.site_ids,
      pageSize: config.page_size,
      timeoutMs: durationMs(config.query_timeout),
      logger: deps.logger,
    });
  }

  resolveHosts(hosts: readonly HostRef[], signal?: AbortSignal): Promise<HostVisibility[]> {
    return resolveAgents({ sourceId: this.id, http: this.http, authorization: this.authorization, hosts, signal });
  }

  /** The batches of `hosts` with what each asks Deep Visibility; hosts given by IP only are looked up as agents first. */
  private async batchMatches(hosts: readonly HostRef[], signal: AbortSignal | undefined): Promise<{ hosts: HostRef[]; match: BatchMatch }[]> {
    const out: { hosts: HostRef[]; match: BatchMatch }[] = [];
    for (const batch of batches(hosts, this.maxHostsPerQuery)) {
      const byIp = batch.filter((host) => lookupIpOf(host) !== undefined);
      const agents = byIp.length === 0 ? [] : await resolveAgents({ sourceId: this.id, http: this.http, authorization: this.authorization, hosts: byIp, signal });
      const match = batchMatch(batch, agents.flatMap((agent) => agent.uuids));
      if (!isEmptyMatch(match.match)) out.push({ hosts: batch, match });
    }
    return out;
  }

  async fetchConnections(query: TimeRangeQuery): Promise<ConnectionEvent[]> {
    const events = new Map<string, ConnectionEvent>();
    for (const { match: { match, belongs } } of await this.batchMatches(query.hosts, query.signal)) {
      const rows = await this.collect(buildIpConnectQuery(match), query.from, query.to, query.signal, 0);
      for (const row of parseEvents(this.id, rows)) {
        const event = toConnectionEvent(this.id, row);
        if (event.time >= query.from.getTime() && event.time < query.to.getTime() && belongs(event)) events.set(event.id, event);
      }
    }
    return [...events.values()].sort(byTimeThenId);
  }

  /** Every event of the range: a query that fills `query_limit` is read again as two half ranges. */
  private async collect(s1ql: string, from: Date, to: Date, signal: AbortSignal | undefined, depth: number): Promise<Record<string, unknown>[]> {
    const queryLimit = this.config.query_limit;
    const result = await this.dv.run(s1ql, { from, to }, { queryLimit, maxEvents: queryLimit }, signal);
    if (result.complete) return result.events;
    const span = to.getTime() - from.getTime();
    if (depth >= MAX_SPLIT_DEPTH || span < 2) {
      throw new SourceError('terminal', this.id, `more than ${queryLimit} events in ${span} ms; raise query_limit or lower max_hosts_per_query`);
    }
    this.deps.logger.debug({ source: this.id, depth, span_ms: span }, 'Deep Visibility query filled its limit; splitting the range');
    const middle = new Date(from.getTime() + Math.floor(span / 2));
    return [...(await this.collect(s1ql, from, middle, signal, depth + 1)), ...(await this.collect(s1ql, middle, to, signal, depth + 1))];
  }

  async fetchBaseline(query: TimeRangeQuery): Promise<BaselineEntry[]> {
    const events: ConnectionEvent[] = [];
    const maxEvents = this.config.baseline_max_events;
    for (const { match: { match, belongs } } of await this.batchMatches(query.hosts, query.signal)) {
      const limits = { queryLimit: Math.min(100_000, maxEvents), maxEvents };
      const result = await this.dv.run(buildIpConnectQuery(match), { from: query.from, to: query.to }, limits, query.signal);
      if (!result.complete) {
        this.deps.logger.warn({ source: this.id, events: result.events.length }, 'baseline larger than baseline_max_events; the rest of it is not read');
      }
      events.push(...parseEvents(this.id, result.events).map((row) => toConnectionEvent(this.id, row)).filter(belongs));
    }
    // Inbound events are not the host's history.
    return baselineFromEvents(
      query.hosts,
      events.filter((event) => event.direction !== 'inbound'),
    );
  }

  /**
   * S1QL 1.0 cannot aggregate: the estate's prevalence is counted from one query of every agent's outgoing events,
   * read up to `prevalence_max_events`. A read cut there is a sample (the counts are lower bounds), not an error.
   */
  async fetchPrevalence(query: PrevalenceQuery): Promise<SourcePrevalence> {
    const maxEvents = this.config.prevalence_max_events;
    const range = { from: query.from, to: query.to };
    const limits = { queryLimit: maxEvents, maxEvents };
    const result = await this.dv.run(buildEstateIpConnectQuery(), range, limits, query.signal, durationMs(this.config.prevalence_timeout));
    if (!result.complete) {
      this.deps.logger.warn({ source: this.id, events: result.events.length }, 'estate prevalence larger than prevalence_max_events; counted from the events read');
    }
    const from = query.from.getTime();
    const to = query.to.getTime();
    const events = parseEvents(this.id, result.events)
      .map((row) => toConnectionEvent(this.id, row))
      .filter((event) => event.time >= from && event.time < to);
    return prevalenceFromEvents(events, query, !result.complete);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
