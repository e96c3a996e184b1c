import type { Logger } from 'pino';
import type { BaselineEntry, ConnectionEvent } from '../../contracts/connection-event.js';
import type { SourcePrevalence } from '../../contracts/prevalence.js';
import { baselineFromEvents } from '../event-baseline.js';
import { byTimeThenId } from '../event-order.js';
import { createSourceHttpClient } from '../http/source-http-client.js';
import { sourceHttpOptions } from '../http/source-http-options.js';
import { readIpBatches, visibilityByIp } from '../ip-hosts.js';
import { durationMs } from '../source-config.js';
import { SourceError } from '../source-error.js';
import { readLogPages, type LogReadRange, type PagedReadLimit } from '../paged-log-read.js';
import { prevalenceFromEvents } from '../prevalence.js';
import type { ConnectorDeps, HostRef, HostVisibility, PrevalenceQuery, SourceConnector, TimeRangeQuery } from '../types.js';
import type { PanosConfig } from './config.js';
import { buildEstateTrafficQuery, buildTrafficQuery } from './filter.js';
import { createLogQueries, type LogQueries } from './log-query.js';
import { entryTimeMs, toConnectionEvent } from './parse.js';
import { panosErrorReader } from './xml-response.js';

/** PAN-OS traffic logs through the XML API; hosts are matched by their (pre-NAT) source IP. */
export class PanosConnector implements SourceConnector {
  readonly id: string;
  readonly type = 'panos';
  readonly maxHostsPerQuery: number;
  readonly lookbackMs: number;
  readonly ingestionOverlapMs: number;
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
    this.ingestionOverlapMs = durationMs(config.ingestion_overlap);
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
   * Every session matching `filter` in [from, to), paged with `skip` oldest first so that sessions logged while
   * paging land after the pages already read.
   */
  private async read(filter: string, range: LogReadRange, limit: PagedReadLimit): Promise<{ events: ConnectionEvent[]; cut: boolean }> {
    const { page_size: pageSize, timezone } = this.config;
    return readLogPages({
      sourceId: this.id,
      pageSize,
      range,
      limit,
      page: ({ size, offset }) => this.logs.page(filter, { nlogs: size, skip: offset }, range.signal),
      timeOf: (entry, position) => {
        const time = entryTimeMs(entry, timezone);
        if (time === undefined) throw new SourceError('terminal', this.id, `traffic log entry ${position} has no readable time`);
        // receive_time has whole seconds: the query's bounds are widened to them, the range is exact here.
        return time;
      },
      toEvent: (entry, time) => toConnectionEvent(this.id, entry, time),
    });
  }

  /**
   * When the sessions of `query` can have been received: `receive_time` is when the management plane received a log,
   * at or after the session's own time and up to the source's lag later, which `lookback` bounds (a close reads once
   * `settle`, within it, has passed). With `covered`, from its `ingestedSince` when that is later: a session logged
   * at or after `until` is received then or later, and one covered and received before was in the earlier read.
   */
  private receivedRange(query: TimeRangeQuery): { from: Date; to: Date } {
    const since = query.covered?.ingestedSince;
    return { from: since && since > query.from ? since : query.from, to: new Date(query.to.getTime() + this.lookbackMs) };
  }

  /** One host batch's sessions, within `max_pages`. */
  private async readHosts(query: TimeRangeQuery, ips: string[], onLimit: PagedReadLimit['onLimit']): Promise<ConnectionEvent[]> {
    const filter = buildTrafficQuery({ ips, ...this.receivedRange(query), timeZone: this.config.timezone });
    const { events, cut } = await this.read(filter, query, { pages: this.config.max_pages, records: Number.POSITIVE_INFINITY, onLimit });
    if (cut) this.logger.warn({ source: this.id, pages: this.config.max_pages, logs: events.length }, 'baseline larger than max_pages; the rest of it is not read');
    return events;
  }

  async fetchConnections(query: TimeRangeQuery): Promise<ConnectionEvent[]> {
    const events = await readIpBatches(query.hosts, this.maxHostsPerQuery, (ips) => this.readHosts(query, ips, 'fail'));
    return events.sort(byTimeThenId);
  }

  /** PAN-OS log queries do not aggregate: the baseline is built from the sessions read, within `max_pages`. */
  async fetchBaseline(query: TimeRangeQuery): Promise<BaselineEntry[]> {
    const events = await readIpBatches(query.hosts, this.maxHostsPerQuery, (ips) => this.readHosts(query, ips, 'cut'));
    return baselineFromEvents(query.hosts, events);
  }

  /**
   * The log API does not aggregate either: the estate's prevalence is counted from every traffic log of the range,
   * whatever its source address, read up to `prevalence_max_events`. A read cut there is a sample (the counts are
   * lower bounds), not an error.
   */
  async fetchPrevalence(query: PrevalenceQuery): Promise<SourcePrevalence> {
    const maxLogs = this.config.prevalence_max_events;
    const filter = buildEstateTrafficQuery({ from: query.from, to: query.to, timeZone: this.config.timezone });
    const { events, cut } = await this.read(filter, query, { pages: Number.POSITIVE_INFINITY, records: maxLogs, onLimit: 'cut' });
    if (cut) this.logger.warn({ source: this.id, logs: maxLogs }, 'estate prevalence larger than prevalence_max_events; counted from the logs read');
    return prevalenceFromEvents(events, query, cut);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
