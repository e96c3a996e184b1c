import type { Logger } from 'pino';
import type { BaselineEntry, ConnectionEvent } from '../../contracts/connection-event.js';
import type { SourcePrevalence } from '../../contracts/prevalence.js';
import { baselineFromEvents } from '../event-baseline.js';
import { byTimeThenId } from '../event-order.js';
import { createSourceHttpClient } from '../http/source-http-client.js';
import { sourceHttpOptions } from '../http/source-http-options.js';
import { readIpBatches, visibilityByIp } from '../ip-hosts.js';
import { durationMs } from '../source-config.js';
import { readLogPages, type LogReadRange, type PagedReadLimit } from '../paged-log-read.js';
import { prevalenceFromEvents } from '../prevalence.js';
import type { ConnectorDeps, HostRef, HostVisibility, PrevalenceQuery, SourceConnector, TimeRangeQuery } from '../types.js';
import type { FortigateConfig } from './config.js';
import { buildEstateTrafficFilters, buildTrafficFilters } from './filter.js';
import { FORTIANALYZER_MAX_ROWS, createLogReader, type LogReader } from './log-reader.js';
import { eventTimeMs, toConnectionEvent } from './parse.js';

/** FortiGate forward-traffic logs through the FortiOS REST API; hosts are matched by source IP. */
export class FortigateConnector implements SourceConnector {
  readonly id: string;
  readonly type = 'fortigate';
  readonly maxHostsPerQuery: number;
  readonly lookbackMs: number;
  readonly coverageNotes =
    'FortiGate forward-traffic logs are firewall sessions: hosts are matched by IP only (a DHCP or VPN ' +
    'address change moves them; hosts behind another NAT device share one), there is no process, and sessions are logged ' +
    'when they end, so a channel still open is not seen yet.';
  private readonly readers: () => LogReader;
  private readonly logger: Logger;
  private readonly rows: number;

  constructor(
    private readonly config: FortigateConfig,
    deps: ConnectorDeps,
  ) {
    this.id = config.id;
    this.maxHostsPerQuery = config.max_hosts_per_query;
    this.lookbackMs = durationMs(config.lookback);
    this.logger = deps.logger;
    this.rows = config.log_device === 'fortianalyzer' ? Math.min(config.page_size, FORTIANALYZER_MAX_ROWS) : config.page_size;
    const http = createSourceHttpClient(sourceHttpOptions(config, deps));
    this.readers = createLogReader({
      sourceId: config.id,
      http,
      token: config.token,
      logDevice: config.log_device,
      vdom: config.vdom,
      serialNo: config.serial_no,
      pollIntervalMs: durationMs(config.job_poll_interval),
      jobTimeoutMs: durationMs(config.job_timeout),
    });
  }

  resolveHosts(hosts: readonly HostRef[]): Promise<HostVisibility[]> {
    return Promise.resolve(visibilityByIp(hosts, 'FortiGate'));
  }

  /** Every session matching `filters` in [from, to), one reader (one FortiAnalyzer session) for the whole read. */
  private async read(filters: readonly string[], range: LogReadRange, limit: PagedReadLimit): Promise<{ events: ConnectionEvent[]; cut: boolean }> {
    const reader = this.readers();
    return readLogPages({
      sourceId: this.id,
      pageSize: this.rows,
      range,
      limit,
      page: ({ size, offset }) => reader.page(filters, { rows: size, start: offset }, range.signal),
      // The log timestamp filter is a coarse cut whose unit Fortinet leaves undocumented; eventtime decides.
      timeOf: (record) => eventTimeMs(record.eventtime),
      toEvent: (record, time) => toConnectionEvent(this.id, record, time),
    });
  }

  /** One host batch's sessions, within `max_pages`. */
  private async readHosts(query: TimeRangeQuery, ips: string[], onLimit: PagedReadLimit['onLimit']): Promise<ConnectionEvent[]> {
    const filters = buildTrafficFilters({ ips, from: query.from, to: query.to, unit: this.config.time_filter_unit });
    const { events, cut } = await this.read(filters, query, { pages: this.config.max_pages, records: Number.POSITIVE_INFINITY, onLimit });
    if (cut) this.logger.warn({ source: this.id, pages: this.config.max_pages, logs: events.length }, 'baseline larger than max_pages; the rest of it is not read');
    return events;
  }

  async fetchConnections(query: TimeRangeQuery): Promise<ConnectionEvent[]> {
    const events = await readIpBatches(query.hosts, this.maxHostsPerQuery, (ips) => this.readHosts(query, ips, 'fail'));
    return events.sort(byTimeThenId);
  }

  /** The log API does not aggregate: the baseline is built from the sessions read, within `max_pages`. */
  async fetchBaseline(query: TimeRangeQuery): Promise<BaselineEntry[]> {
    const events = await readIpBatches(query.hosts, this.maxHostsPerQuery, (ips) => this.readHosts(query, ips, 'cut'));
    return baselineFromEvents(query.hosts, events);
  }

  /**
   * Nor the estate's prevalence: it is counted from every forward-traffic log of the range, whatever its source
   * address, read up to `prevalence_max_events`. A read cut there is a sample (the counts are lower bounds), not an
   * error.
   */
  async fetchPrevalence(query: PrevalenceQuery): Promise<SourcePrevalence> {
    const maxRecords = this.config.prevalence_max_events;
    const filters = buildEstateTrafficFilters({ from: query.from, to: query.to, unit: this.config.time_filter_unit });
    const { events, cut } = await this.read(filters, query, { pages: Number.POSITIVE_INFINITY, records: maxRecords, onLimit: 'cut' });
    if (cut) this.logger.warn({ source: this.id, logs: maxRecords }, 'estate prevalence larger than prevalence_max_events; counted from the logs read');
    return prevalenceFromEvents(events, query, cut);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
