import type * as z from 'zod';
import type { BaselineEntry, ConnectionEvent } from '../../contracts/connection-event.js';
import type { SourcePrevalence } from '../../contracts/prevalence.js';
import { attributeBaseline, type DeviceRow } from '../event-baseline.js';
import { byTimeThenId } from '../event-order.js';
import { createSourceHttpClient } from '../http/source-http-client.js';
import { batches } from '../batches.js';
import { sourceHttpOptions } from '../http/source-http-options.js';
import { finishPrevalence } from '../prevalence.js';
import { durationMs } from '../source-config.js';
import type { ConnectorDeps, HostRef, PrevalenceQuery, SourceConnector, TimeRangeQuery } from '../types.js';
import type { SplunkConfig } from './config.js';
import {
  BaselineRowSchema,
  ConnectionRowSchema,
  DestinationPrevalenceRowSchema,
  HostCountRowSchema,
  PortPrevalenceRowSchema,
  toBaselineRow,
  toConnectionEvent,
  toDestinationPrevalence,
  toPortPrevalence,
} from './parse.js';
import { createSearchJobs, type SearchJobs } from './search-job.js';
import {
  buildBaselineSearch,
  buildConnectionsSearch,
  buildDestinationPrevalenceSearch,
  buildHostCountSearch,
  buildPortPrevalenceSearch,
  eventSelection,
  hostMatch,
  isEmptyHostMatch,
  PREVALENCE_STATS,
} from './spl.js';
import { splunkErrorReader } from './splunk-errors.js';

/**
 * Splunk through the search jobs API. No `resolveHosts`: whether a host has events is only known by searching,
 * which the poll does anyway. Hosts known only by an EDR id cannot be matched and are not queried.
 */
export class SplunkConnector implements SourceConnector {
  readonly id: string;
  readonly type = 'splunk';
  readonly maxHostsPerQuery: number;
  readonly lookbackMs: number;
  readonly ingestionOverlapMs: number;
  readonly coverageNotes =
    'Sysmon Event ID 3 does not say whether a connection got through (outcome unknown, so retries of a blocked ' +
    'address cannot be told from connections that worked), and carries no command line, hashes or parent process.';
  private readonly jobs: SearchJobs;
  private readonly selection: string;
  private readonly prevalenceTimeoutMs: number;

  constructor(config: SplunkConfig, deps: ConnectorDeps) {
    this.id = config.id;
    this.maxHostsPerQuery = config.max_hosts_per_query;
    this.lookbackMs = durationMs(config.lookback);
    this.ingestionOverlapMs = durationMs(config.ingestion_overlap);
    this.selection = eventSelection(config);
    this.prevalenceTimeoutMs = durationMs(config.prevalence_timeout);
    const timeoutMs = durationMs(config.timeout);
    const http = createSourceHttpClient({ ...sourceHttpOptions(config, deps), vendorError: splunkErrorReader });
    this.jobs = createSearchJobs({
      sourceId: config.id,
      http,
      logger: deps.logger,
      authorization: `${config.auth_scheme} ${config.token}`,
      apiVersion: config.api_version,
      pageSize: config.page_size,
      maxResults: config.max_results,
      pollIntervalMs: durationMs(config.job_poll_interval),
      jobTimeoutMs: durationMs(config.job_timeout),
      requestTimeoutMs: timeoutMs,
    });
  }

  private hostBatches(hosts: readonly HostRef[]): HostRef[][] {
    return batches(
      hosts.filter((host) => !isEmptyHostMatch(hostMatch([host]))),
      this.maxHostsPerQuery,
    );
  }

  async fetchConnections(query: TimeRangeQuery): Promise<ConnectionEvent[]> {
    const events = new Map<string, ConnectionEvent>();
    const from = query.from.getTime();
    const to = query.to.getTime();
    for (const hosts of this.hostBatches(query.hosts)) {
      const spl = buildConnectionsSearch({ selection: this.selection, hosts, covered: query.covered });
      const { rows } = await this.jobs.run({ spl, range: query, rowSchema: ConnectionRowSchema, atCap: 'fail', signal: query.signal });
      for (const row of rows) {
        const event = toConnectionEvent(this.id, row);
        // earliest/latest bound the job already; a custom search with its own time modifiers might not.
        if (event.time >= from && event.time < to) events.set(event.id, event);
      }
    }
    return [...events.values()].sort(byTimeThenId);
  }

  async fetchBaseline(query: TimeRangeQuery): Promise<BaselineEntry[]> {
    const rowsRead: DeviceRow[] = [];
    for (const hosts of this.hostBatches(query.hosts)) {
      const spl = buildBaselineSearch({ selection: this.selection, hosts });
      const { rows } = await this.jobs.run({ spl, range: query, rowSchema: BaselineRowSchema, atCap: 'cut', signal: query.signal });
      rowsRead.push(...rows.map(toBaselineRow));
    }
    return attributeBaseline(query.hosts, rowsRead);
  }

  /**
   * Three `stats dc(Computer)` jobs over the configured selection with no host filter: the host count, hosts per
   * (protocol, port), hosts per destination. Partial when a job reached Splunk's result cap (max_results).
   */
  async fetchPrevalence(query: PrevalenceQuery): Promise<SourcePrevalence> {
    const range = { from: query.from, to: query.to };
    const run = <S extends z.ZodType>(spl: string, rowSchema: S) =>
      this.jobs.run({ spl, range, rowSchema, atCap: 'cut', signal: query.signal, timeoutMs: this.prevalenceTimeoutMs });
    const count = await run(buildHostCountSearch(this.selection), HostCountRowSchema);
    const ports = await run(buildPortPrevalenceSearch(this.selection), PortPrevalenceRowSchema);
    const destinations = await run(
      buildDestinationPrevalenceSearch({ selection: this.selection, minHosts: query.minDestinationHosts, limit: query.maxDestinations }),
      DestinationPrevalenceRowSchema,
    );
    return finishPrevalence(
      {
        host_count: count.rows[0]?.[PREVALENCE_STATS.hosts] ?? 0,
        ports: ports.rows.map(toPortPrevalence),
        destinations: destinations.rows.map(toDestinationPrevalence),
        partial: ports.cut || destinations.cut,
      },
      query,
    );
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
