import type { BaselineEntry, ConnectionEvent } from '../../contracts/connection-event.js';
import type { SourcePrevalence } from '../../contracts/prevalence.js';
import { attributeBaseline, type DeviceRow } from '../event-baseline.js';
import { durationMs } from '../source-config.js';
import { SourceError } from '../source-error.js';
import { unlimitedBudget } from '../http/request-budget.js';
import { byTimeThenId } from '../event-order.js';
import { createSourceHttpClient } from '../http/source-http-client.js';
import { batches } from '../batches.js';
import { sourceHttpOptions } from '../http/source-http-options.js';
import { finishPrevalence } from '../prevalence.js';
import type { ConnectorDeps, HostRef, HostVisibility, PrevalenceQuery, SourceConnector, TimeRangeQuery } from '../types.js';
import type { CrowdstrikeConfig } from './config.js';
import { SORT_MAX_ROWS, buildBaselineQuery, buildConnectionsQuery, buildDestinationPrevalenceQuery, buildPortPrevalenceQuery, type ProcessJoinWindow } from './cql.js';
import { DeviceDirectory, visibilityOf } from './devices.js';
import { createFalconApi } from './falcon-api.js';
import { toBaselineRow, toConnectionEvent, toDestinationPrevalence, toPortPrevalence } from './normalize.js';
import {
  BaselineRowSchema,
  DestinationPrevalenceRowSchema,
  NetworkEventSchema,
  PortPrevalenceRowSchema,
  parseRows,
  type FalconDevice,
  type NetworkEvent,
} from './parse.js';
import { createQueryJobRunner, type QueryJobRunner } from './query-job.js';
import { FalconRateGate, falconRetryHint } from './rate-limit.js';
import { createFalconTokenProvider } from './token.js';

/** A paging loop past this many query jobs is a service that ignores the paging filter, not a busy host. */
const MAX_PAGES = 1_000;

export class CrowdstrikeConnector implements SourceConnector {
  readonly id: string;
  readonly type = 'crowdstrike';
  readonly maxHostsPerQuery: number;
  readonly lookbackMs: number;
  readonly ingestionOverlapMs: number;
  private readonly directory: DeviceDirectory;
  private readonly jobs: QueryJobRunner;
  private readonly processLookbackMs: number;

  constructor(
    private readonly config: CrowdstrikeConfig,
    private readonly deps: ConnectorDeps,
  ) {
    this.id = config.id;
    this.maxHostsPerQuery = config.max_hosts_per_query;
    this.lookbackMs = durationMs(config.lookback);
    this.ingestionOverlapMs = durationMs(config.ingestion_overlap);
    this.processLookbackMs = durationMs(config.process_lookback);
    const common = { ...sourceHttpOptions(config, deps), retryHint: falconRetryHint };
    const gate = new FalconRateGate(common.budget);
    // The token endpoint has its own (per-IP) limit: token calls do not spend the source's budget.
    const tokens = createFalconTokenProvider({
      sourceId: config.id,
      http: createSourceHttpClient({ ...common, budget: unlimitedBudget }),
      clientId: config.client_id,
      clientSecret: config.client_secret,
      memberCid: config.member_cid,
    });
    const api = createFalconApi({ http: createSourceHttpClient({ ...common, budget: gate }), tokens, gate });
    this.directory = new DeviceDirectory(config.id, api);
    this.jobs = createQueryJobRunner({
      sourceId: config.id,
      api,
      repository: config.repository,
      timeoutMs: durationMs(config.query_timeout),
      logger: deps.logger,
    });
  }

  async resolveHosts(hosts: readonly HostRef[], signal?: AbortSignal): Promise<HostVisibility[]> {
    return (await this.directory.resolve(hosts, signal)).map(visibilityOf);
  }

  /** The devices of `hosts`, by lower-case aid. */
  private async devicesOf(hosts: readonly HostRef[], signal: AbortSignal | undefined): Promise<Map<string, FalconDevice>> {
    const resolved = await this.directory.resolve(hosts, signal);
    return new Map(resolved.flatMap((entry) => entry.devices.map((device) => [device.device_id.toLowerCase(), device] as const)));
  }

  async fetchConnections(query: TimeRangeQuery): Promise<ConnectionEvent[]> {
    const devices = await this.devicesOf(query.hosts, query.signal);
    const events = new Map<string, ConnectionEvent>();
    const fromMs = query.from.getTime();
    const toMs = query.to.getTime();
    for (const aids of batches([...devices.keys()], this.maxHostsPerQuery)) {
      let start = fromMs;
      let excludeIds: string[] = [];
      for (let page = 1; ; page += 1) {
        const cql = buildConnectionsQuery({ aids, excludeIds, process: this.processJoinFrom(fromMs), pageSize: this.config.page_size, covered: query.covered });
        const rows = parseRows(this.id, 'NG-SIEM', NetworkEventSchema, await this.jobs.run(cql, { fromMs: start, toMs }, query.signal));
        for (const row of rows) {
          if (row['@timestamp'] < fromMs || row['@timestamp'] >= toMs) continue;
          const event = toConnectionEvent(this.id, row, devices.get(row.aid.toLowerCase()));
          events.set(event.id, event);
        }
        if (rows.length < this.config.page_size) break;
        const next = nextPage(rows, start, excludeIds);
        if (!next) throw new SourceError('terminal', this.id, 'NG-SIEM paging did not advance; the service ignored the paging filter');
        if (page >= MAX_PAGES) throw new SourceError('terminal', this.id, `more than ${MAX_PAGES} pages of network events; narrow the watch`);
        ({ start, excludeIds } = next);
      }
    }
    return [...events.values()].sort(byTimeThenId);
  }

  private processJoinFrom(fromMs: number): ProcessJoinWindow {
    return { startMs: Math.max(0, fromMs - this.processLookbackMs), limit: this.config.process_join_limit };
  }

  async fetchBaseline(query: TimeRangeQuery): Promise<BaselineEntry[]> {
    const devices = await this.devicesOf(query.hosts, query.signal);
    const rowsRead: DeviceRow[] = [];
    const fromMs = query.from.getTime();
    const maxGroups = this.config.baseline_max_groups;
    for (const aids of batches([...devices.keys()], this.maxHostsPerQuery)) {
      const cql = buildBaselineQuery({ aids, process: this.processJoinFrom(fromMs), maxGroups });
      const rows = parseRows(this.id, 'NG-SIEM baseline', BaselineRowSchema, await this.jobs.run(cql, { fromMs, toMs: query.to.getTime() }, query.signal));
      if (rows.length >= maxGroups) {
        this.deps.logger.warn({ source: this.id, groups: rows.length }, 'baseline larger than baseline_max_groups; the rest of it is not read');
      }
      rowsRead.push(...rows.map((row) => toBaselineRow(row, devices.get(row.aid.toLowerCase()))));
    }
    return attributeBaseline(query.hosts, rowsRead);
  }

  /**
   * Two aggregate query jobs over every device's network events, no aid filter: the host count with the hosts per
   * protocol/port, then the hosts per destination address. Partial when a `groupBy()` reached
   * `prevalence_max_groups`, or when more destinations were asked for than `sort()` can return.
   */
  async fetchPrevalence(query: PrevalenceQuery): Promise<SourcePrevalence> {
    const range = { fromMs: query.from.getTime(), toMs: query.to.getTime() };
    const maxGroups = this.config.prevalence_max_groups;
    const keep = Math.min(query.maxDestinations, SORT_MAX_ROWS);
    const timeoutMs = durationMs(this.config.prevalence_timeout);
    const portQuery = buildPortPrevalenceQuery({ maxGroups });
    const portRows = parseRows(this.id, 'NG-SIEM port prevalence', PortPrevalenceRowSchema, await this.jobs.run(portQuery, range, query.signal, timeoutMs));
    const destinationQuery = buildDestinationPrevalenceQuery({ maxGroups, keep, minHosts: query.minDestinationHosts });
    const destinationRows = parseRows(this.id, 'NG-SIEM destination prevalence', DestinationPrevalenceRowSchema, await this.jobs.run(destinationQuery, range, query.signal, timeoutMs));
    const ports = toPortPrevalence(portRows);
    const cut = {
      ports: ports.length >= maxGroups,
      destinations: (destinationRows[0]?.Groups ?? 0) >= maxGroups,
      sorted: keep < query.maxDestinations && destinationRows.length >= keep,
    };
    const partial = cut.ports || cut.destinations || cut.sorted;
    if (partial) this.deps.logger.warn({ source: this.id, cut, max_groups: maxGroups }, 'estate prevalence cut by LogScale limits; the counts are lower bounds');
    return finishPrevalence({ host_count: portRows[0]?.EstateHosts ?? 0, ports, destinations: toDestinationPrevalence(destinationRows), partial }, query);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Where the next job starts: at the page's last millisecond, leaving out the events of that millisecond already
 * read. Undefined when that would ask for the same page again.
 */
function nextPage(rows: readonly NetworkEvent[], start: number, excludeIds: readonly string[]): { start: number; excludeIds: string[] } | undefined {
  const last = Math.max(...rows.map((row) => row['@timestamp']));
  const atLast = rows.filter((row) => row['@timestamp'] === last).map((row) => row['@id']);
  if (last < start) return undefined;
  const carried = last === start ? [...new Set([...excludeIds, ...atLast])] : atLast;
  if (last === start && carried.length === excludeIds.length) return undefined;
  return { start: last, excludeIds: carried };
}
