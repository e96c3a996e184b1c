import type { Logger } from 'pino';
import type { BaselineEntry, ConnectionEvent } from '../../contracts/connection-event.js';
import { baselineFromEvents } from '../event-baseline.js';
import { byTimeThenId } from '../event-order.js';
import { createSourceHttpClient } from '../http/source-http-client.js';
import { sourceHttpOptions } from '../http/source-http-options.js';
import { readIpBatches, visibilityByIp } from '../ip-hosts.js';
import { durationMs } from '../source-config.js';
import { SourceError } from '../source-error.js';
import type { ConnectorDeps, HostRef, HostVisibility, SourceConnector, TimeRangeQuery } from '../types.js';
import type { FortigateConfig } from './config.js';
import { buildTrafficFilters } from './filter.js';
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

  /** Every session of the batch's IPs in [from, to), page by page with `start`; `onLimit` decides what running out of pages means. */
  private async read(query: TimeRangeQuery, ips: string[], onLimit: 'fail' | 'cut'): Promise<ConnectionEvent[]> {
    const filters = buildTrafficFilters({ ips, from: query.from, to: query.to, unit: this.config.time_filter_unit });
    const reader = this.readers();
    const from = query.from.getTime();
    const to = query.to.getTime();
    const events: ConnectionEvent[] = [];
    for (let page = 0; ; page += 1) {
      if (page >= this.config.max_pages) {
        if (onLimit === 'fail') {
          throw new SourceError('terminal', this.id, `more than ${this.config.max_pages} pages of ${this.rows} traffic logs; raise max_pages or shorten the lookback`);
        }
        this.logger.warn({ source: this.id, pages: page, logs: events.length }, 'baseline larger than max_pages; the rest of it is not read');
        return events;
      }
      const start = page * this.rows;
      const records = await reader.page(filters, { rows: this.rows, start }, query.signal);
      for (const record of records) {
        const time = eventTimeMs(record.eventtime);
        // The log timestamp filter is a coarse cut whose unit Fortinet leaves undocumented; eventtime decides.
        if (time >= from && time < to) events.push(toConnectionEvent(this.id, record, time));
      }
      if (records.length < this.rows) return events;
    }
  }

  async fetchConnections(query: TimeRangeQuery): Promise<ConnectionEvent[]> {
    const events = await readIpBatches(query.hosts, this.maxHostsPerQuery, (ips) => this.read(query, ips, 'fail'));
    return events.sort(byTimeThenId);
  }

  /** The log API does not aggregate: the baseline is built from the sessions read, within `max_pages`. */
  async fetchBaseline(query: TimeRangeQuery): Promise<BaselineEntry[]> {
    const events = await readIpBatches(query.hosts, this.maxHostsPerQuery, (ips) => this.read(query, ips, 'cut'));
    return baselineFromEvents(events);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
