import type * as z from 'zod';
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
import type { ConnectorDeps, HostRef, PrevalenceQuery, SourceConnector, TimeRangeQuery } from '../types.js';
import type { MdeConfig } from './config.js';
import { createHuntingClient, type HuntingClient } from './hunting-client.js';
import {
  buildBaselineQuery,
  buildConnectionsQuery,
  buildDestinationPrevalenceQuery,
  buildHostCountQuery,
  buildPortPrevalenceQuery,
  hostMatch,
  HUNTING_ROW_LIMIT,
  isEmptyHostMatch,
  PREVALENCE_COLUMNS,
  timespanOf,
  type ConnectionCursor,
} from './kql.js';
import {
  BaselineRowSchema,
  ConnectionRowSchema,
  DestinationPrevalenceRowSchema,
  HostCountRowSchema,
  parseRows,
  PortPrevalenceRowSchema,
  toBaselineRow,
  toConnectionEvent,
  toDestinationPrevalence,
  toPortPrevalence,
} from './parse.js';
import { createEntraTokenProvider } from './token.js';

/** Summarize pages re-run the whole aggregation; past this many the baseline is cut and a warning logged. */
const MAX_BASELINE_PAGES = 50;

export class MdeConnector implements SourceConnector {
  readonly id: string;
  readonly type = 'mde';
  readonly maxHostsPerQuery: number;
  readonly lookbackMs: number;
  readonly ingestionOverlapMs: number;
  private readonly hunting: HuntingClient;

  constructor(
    private readonly config: MdeConfig,
    private readonly deps: ConnectorDeps,
  ) {
    this.id = config.id;
    this.maxHostsPerQuery = config.max_hosts_per_query;
    this.lookbackMs = durationMs(config.lookback);
    this.ingestionOverlapMs = durationMs(config.ingestion_overlap);
    const graphOptions = sourceHttpOptions(config, deps);
    const graph = createSourceHttpClient(graphOptions);
    // Token calls go to Entra, not Graph: they do not spend the hunting budget.
    const entra = createSourceHttpClient({ ...graphOptions, baseURL: config.token_url, budget: unlimitedBudget });
    const tokens = createEntraTokenProvider({
      sourceId: config.id,
      http: entra,
      tenantId: config.tenant_id,
      clientId: config.client_id,
      clientSecret: config.client_secret,
    });
    this.hunting = createHuntingClient({ sourceId: config.id, http: graph, tokens });
  }

  /** Hosts with something to match on, in batches of max_hosts_per_query. */
  private hostBatches(hosts: readonly HostRef[]): HostRef[][] {
    return batches(
      hosts.filter((host) => !isEmptyHostMatch(hostMatch([host]))),
      this.maxHostsPerQuery,
    );
  }

  async fetchConnections(query: TimeRangeQuery): Promise<ConnectionEvent[]> {
    const events = new Map<string, ConnectionEvent>();
    const timespan = timespanOf(query.from, query.to);
    const pageSize = this.config.page_size;
    for (const hosts of this.hostBatches(query.hosts)) {
      let after: ConnectionCursor | undefined;
      for (;;) {
        const kql = buildConnectionsQuery({ hosts, from: query.from, to: query.to, pageSize, after, covered: query.covered });
        const response = await this.hunting.run(kql, timespan, query.signal);
        const rows = parseRows(this.id, ConnectionRowSchema, response.results);
        for (const row of rows) {
          const event = toConnectionEvent(this.id, row);
          events.set(event.id, event);
        }
        const last = rows.at(-1);
        if (!last || rows.length < pageSize) break;
        const next = { timestamp: last.Timestamp, deviceId: last.DeviceId, reportId: last.ReportId };
        if (after && next.timestamp === after.timestamp && next.deviceId === after.deviceId && next.reportId === after.reportId) {
          throw new SourceError('terminal', this.id, 'runHuntingQuery paging did not advance; the service ignored the keyset filter');
        }
        after = next;
      }
    }
    return [...events.values()].sort(byTimeThenId);
  }

  async fetchBaseline(query: TimeRangeQuery): Promise<BaselineEntry[]> {
    const rowsRead: DeviceRow[] = [];
    const timespan = timespanOf(query.from, query.to);
    const pageSize = this.config.page_size;
    for (const hosts of this.hostBatches(query.hosts)) {
      let afterKey: string | undefined;
      for (let page = 1; ; page += 1) {
        const kql = buildBaselineQuery({ hosts, from: query.from, to: query.to, pageSize, afterKey });
        const response = await this.hunting.run(kql, timespan, query.signal);
        const rows = parseRows(this.id, BaselineRowSchema, response.results);
        rowsRead.push(...rows.map(toBaselineRow));
        const last = rows.at(-1);
        if (!last || rows.length < pageSize) break;
        if (last.GroupKey === afterKey) {
          throw new SourceError('terminal', this.id, 'runHuntingQuery paging did not advance; the service ignored the keyset filter');
        }
        if (page >= MAX_BASELINE_PAGES) {
          this.deps.logger.warn(
            { source: this.id, pages: page, rows: page * pageSize },
            'baseline larger than the page limit; the rest of it is not read',
          );
          break;
        }
        afterKey = last.GroupKey;
      }
    }
    return attributeBaseline(query.hosts, rowsRead);
  }

  /**
   * Three aggregates over every device, each one query: the device count, devices per (protocol, port), devices per
   * destination. Partial only when an answer filled advanced hunting's row limit.
   */
  async fetchPrevalence(query: PrevalenceQuery): Promise<SourcePrevalence> {
    const timespan = timespanOf(query.from, query.to);
    const range = { from: query.from, to: query.to };
    const rows = async <S extends z.ZodType>(kql: string, schema: S) =>
      parseRows(this.id, schema, (await this.hunting.run(kql, timespan, query.signal, durationMs(this.config.prevalence_timeout))).results);
    const [count] = await rows(buildHostCountQuery(range), HostCountRowSchema);
    const ports = await rows(buildPortPrevalenceQuery({ ...range, limit: HUNTING_ROW_LIMIT }), PortPrevalenceRowSchema);
    const destinationLimit = Math.max(0, Math.min(query.maxDestinations, HUNTING_ROW_LIMIT));
    const destinations = await rows(
      buildDestinationPrevalenceQuery({ ...range, minHosts: query.minDestinationHosts, limit: destinationLimit }),
      DestinationPrevalenceRowSchema,
    );
    const destinationsCut = query.maxDestinations > HUNTING_ROW_LIMIT && destinations.length >= HUNTING_ROW_LIMIT;
    return finishPrevalence(
      {
        host_count: count?.[PREVALENCE_COLUMNS.hosts] ?? 0,
        ports: ports.map(toPortPrevalence),
        destinations: destinations.map(toDestinationPrevalence),
        partial: ports.length >= HUNTING_ROW_LIMIT || destinationsCut,
      },
      query,
    );
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
