import type { Logger } from 'pino';
import type * as z from 'zod';
import type { BaselineEntry, ConnectionEvent } from '../contracts/connection-event.js';
import type { SourcePrevalence } from '../contracts/prevalence.js';
import type { RequestBudget } from './http/request-budget.js';
import type { SourceCommonConfig } from './source-config.js';

/** A host as the watch knows it; a connector matches on whichever fields it can use. */
export interface HostRef {
  hostname?: string;
  ip?: string;
  edr_id?: string;
}

/** Whether a source can see a host at all, and if not, why (shown in the watch's coverage). */
export interface HostVisibility {
  host: HostRef;
  visible: boolean;
  /** The vendor's own id for the host, when resolving found one (e.g. a Falcon device id). */
  device_id?: string;
  /** Why the host cannot be seen, in words a responder understands ("firewall sources match by IP; no ip given"). */
  reason?: string;
}

/**
 * Event times before `until` that an earlier successful read of every host of a query already covered: of those,
 * only events the vendor ingested at or after `ingestedSince` are wanted (the rest were in that read); events at or
 * after `until` are always wanted.
 */
export interface CoveredRange {
  until: Date;
  ingestedSince: Date;
}

export interface TimeRangeQuery {
  hosts: readonly HostRef[];
  /** Inclusive start. */
  from: Date;
  /** Exclusive end. */
  to: Date;
  /** Set only for a connector with `ingestionOverlapMs`. */
  covered?: CoveredRange;
  signal?: AbortSignal;
}

/** An estate-wide aggregate: every host the source sees, no host filter. */
export interface PrevalenceQuery {
  /** Inclusive start. */
  from: Date;
  /** Exclusive end. */
  to: Date;
  /** Only destinations contacted by at least this many hosts are returned. */
  minDestinationHosts: number;
  /** At most this many destinations, those contacted by the most hosts first. */
  maxDestinations: number;
  /**
   * The estate's own ranges (`networks.internal`). A record known only by its source IP (a firewall session) counts
   * towards prevalence only from these, so inbound traffic from the internet never makes a port look common.
   * Default: every source counts.
   */
  hostNetworks?: readonly string[];
  signal?: AbortSignal;
}

/**
 * A vendor API that can tell which outbound connections a set of hosts made. One instance per configured
 * source; it holds its own token cache and request budget. Errors are `SourceError`s.
 */
export interface SourceConnector {
  readonly id: string;
  readonly type: string;
  /** Hosts per vendor query; the poller splits larger host sets into batches of this size. */
  readonly maxHostsPerQuery: number;
  /** How far back each poll re-reads, because vendor telemetry arrives late. */
  readonly lookbackMs: number;
  /**
   * Optional: the connector can filter on when the vendor ingested an event, so a re-read of the look-back returns
   * only what arrived since the previous read (`TimeRangeQuery.covered`). The value is how far before that read's end
   * the re-read starts on ingestion time: the vendor stamps ingestion before the rows can be queried, and its clock is
   * not ours.
   */
  readonly ingestionOverlapMs?: number;
  /**
   * Optional: what this source's telemetry cannot show even when every poll succeeds (e.g. an EDR that drops
   * repeated connections), in words the watch's coverage can show a responder.
   */
  readonly coverageNotes?: string;
  /** Every connection event of `hosts` in [from, to), all pages, de-duplicated by `id`. */
  fetchConnections(query: TimeRangeQuery): Promise<ConnectionEvent[]>;
  /** The hosts' network history in [from, to), aggregated per (host, process, destination, port, protocol). */
  fetchBaseline(query: TimeRangeQuery): Promise<BaselineEntry[]>;
  /**
   * Optional: the estate's port/protocol and destination prevalence in [from, to), from one aggregate query (or, for
   * log APIs without aggregation, a capped read marked `partial`). Protocols as in `ConnectionEvent`; destinations
   * as the vendor reports them (IPs and host names, normalized by the caller). Sources without it contribute no
   * estate prevalence; the watch's own hosts still do.
   */
  fetchPrevalence?(query: PrevalenceQuery): Promise<SourcePrevalence>;
  /**
   * Optional: which of `hosts` this source can see (an EDR that does not know the host, a firewall given a host
   * without an IP). Sources without it are assumed to see every host; telemetry then tells.
   */
  resolveHosts?(hosts: readonly HostRef[], signal?: AbortSignal): Promise<HostVisibility[]>;
  close(): Promise<void>;
}

/** Told, per answer of a connector, how many invalid strings the well-formed boundary replaced. */
export type RepairCallback = (repair: { source: string; method: string; replaced: number }) => void;

export interface ConnectorDeps {
  logger: Logger;
  /** Told how many invalid UTF-8 sequences a vendor body held (each replaced with U+FFFD); default: not counted. */
  onRepair?: RepairCallback;
  /** The source's request budget, shared across workers (a `RedisRequestBudget`). Default: unlimited. */
  budget?: RequestBudget;
}

/** What a connector folder exports: its type, its config schema (validated at start) and a factory. */
export interface ConnectorModule<Config extends SourceCommonConfig = SourceCommonConfig> {
  readonly type: string;
  readonly configSchema: z.ZodType<Config>;
  create(config: Config, deps: ConnectorDeps): SourceConnector;
}
