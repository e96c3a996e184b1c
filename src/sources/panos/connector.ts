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
import type { PanosConfig } from './config.js';
import { buildTrafficQuery } from './filter.js';
import { createLogQueries, type LogQueries } from './log-query.js';
import { entryTimeMs, toConnectionEvent } from './parse.js';
import { panosErrorReader } from './xml-response.js';

/** PAN-OS traffic logs through the XML API; hosts are matched by their (pre-NAT) source IP. */
export class PanosConnector implements SourceConnector {
  readonly id: string;
  readonly type = 'panos';
  readonly maxHostsPerQuery: number;
  readonly lookbackMs: number;
  readonly coverageNotes =
    'PAN-OS traffic logs are firewall sessions: hosts are matched by IP only (a DHCP or VPN ' +
    'address change moves them; hosts behind another NAT device share one), there is no process, and sessions are logged ' +
    'when they end, so a channel still open is not seen yet.';
  private readonly logs: LogQueries;
  private readonly logger: Logger;

  constructor(
    private readonly config: PanosConfig,
    deps: ConnectorDeps,
  ) {
    this.id = config.id;
    this.maxHostsPerQuery = config.max_hosts_per_query;
    this.lookbackMs = durationMs(config.lookback);
    this.logger = deps.logger;
    const timeoutMs = durationMs(config.timeout);
    const http = createSourceHttpClient({ ...sourceHttpOptions(config, deps), vendorError: panosErrorReader });
    this.logs = createLogQueries({
      sourceId: config.id,
      http,
      logger: deps.logger,
      apiKey: config.api_key,
      pollIntervalMs: durationMs(config.job_poll_interval),
      jobTimeoutMs: durationMs(config.job_timeout),
      requestTimeoutMs: timeoutMs,
    });
  }

  resolveHosts(hosts: readonly HostRef[]): Promise<HostVisibility[]> {
    return Promise.resolve(visibilityByIp(hosts, 'PAN-OS'));
  }

  /**
   * Every session of the batch's IPs in [from, to), page by page with `skip`, oldest first so that sessions
   * logged while paging land after the pages already read. `onLimit` decides what running out of pages means.
   */
  private async read(query: TimeRangeQuery, ips: string[], onLimit: 'fail' | 'cut'): Promise<ConnectionEvent[]> {
    const { page_size: nlogs, max_pages: maxPages, timezone } = this.config;
    const filter = buildTrafficQuery({ ips, from: query.from, to: query.to, timeZone: timezone });
    const from = query.from.getTime();
    const to = query.to.getTime();
    const events: ConnectionEvent[] = [];
    for (let page = 0; ; page += 1) {
      if (page >= maxPages) {
        if (onLimit === 'fail') {
          throw new SourceError('terminal', this.id, `more than ${maxPages} pages of ${nlogs} traffic logs; raise max_pages or shorten the lookback`);
        }
        this.logger.warn({ source: this.id, pages: page, logs: events.length }, 'baseline larger than max_pages; the rest of it is not read');
        return events;
      }
      const skip = page * nlogs;
      const entries = await this.logs.page(filter, { nlogs, skip }, query.signal);
      entries.forEach((entry, index) => {
        const time = entryTimeMs(entry, timezone);
        if (time === undefined) throw new SourceError('terminal', this.id, `traffic log entry ${skip + index} has no readable time`);
        // receive_time has whole seconds: the query's bounds are widened to them, the range is exact here.
        if (time >= from && time < to) events.push(toConnectionEvent(this.id, entry, time));
      });
      if (entries.length < nlogs) return events;
    }
  }

  async fetchConnections(query: TimeRangeQuery): Promise<ConnectionEvent[]> {
    const events = await readIpBatches(query.hosts, this.maxHostsPerQuery, (ips) => this.read(query, ips, 'fail'));
    return events.sort(byTimeThenId);
  }

  /** PAN-OS log queries do not aggregate: the baseline is built from the sessions read, within `max_pages`. */
  async fetchBaseline(query: TimeRangeQuery): Promise<BaselineEntry[]> {
    const events = await readIpBatches(query.hosts, this.maxHostsPerQuery, (ips) => this.read(query, ips, 'cut'));
    return baselineFromEvents(events);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
