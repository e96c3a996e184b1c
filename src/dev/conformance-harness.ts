import type { Scenario, SimHost } from './scenario/index.js';
import type { VendorFailure } from './vendor-failure.js';

export type { VendorFailure } from './vendor-failure.js';

/** A loopback fake of one vendor API, speaking its documented wire format and playing a scenario. */
export interface FakeVendor {
  readonly url: string;
  /** Queues failures for the next data-API requests, in order. */
  failNext(...failures: VendorFailure[]): void;
  /** Data-API requests served so far (auth/token requests not counted). */
  requestCount(): number;
  /**
   * Every host-name (or device-name) value the fake read out of the queries it received, after undoing the
   * query language's escaping with a real tokenizer: a hostile name that broke out of its literal shows up here
   * split or not at all. Empty for sources that only match by IP.
   */
  queriedHostNames(): string[];
  close(): Promise<void>;
}

/** What each connector gives the conformance suite (test/conformance/connector-conformance.test.ts). */
export interface ConnectorHarness {
  /** The connector's `type`, as in the registry. */
  type: string;
  /** Host fields the source can match on: EDR/SIEM sources see host names, firewalls only IPs. */
  matchesBy: 'hostname' | 'ip';
  /**
   * The vendor's own id for a scenario host, as a SOAR would pass it in `edr_id` (MDE DeviceId, Falcon aid, S1 agent
   * UUID, Elastic host.id); absent for sources whose records carry no device id (Sysmon in Splunk, firewalls).
   */
  deviceIdOf?: (host: SimHost) => string;
  /** Whether the source's records name the destination host (DNS name, URL host), besides its IP. */
  destinationNames: boolean;
  /**
   * What the vendor reports of the connecting process's lineage, for the scenario's implant host: its parent's image
   * name, the parent's full image path, and when the process started: at or less than `startedAtResolutionMs` after
   * the real start (1: to the millisecond; Elastic's `process.uptime` counts whole seconds). What the vendor does not
   * report must stay absent, never guessed.
   */
  processLineage: { parentName: boolean; parentPath: boolean; startedAtResolutionMs?: number };
  /**
   * Starts the fake playing `scenario` and returns it with a source config (the YAML entry as an object, with
   * `id`, `type`, `base_url` and credentials) that points at it. `pageSize` must force multi-page answers for a
   * few dozen events; the config sets `timeout: '1s'` and `max_retries: 2`. `ingestionDelayMs`: the vendor's
   * telemetry lag, an event becoming visible that long after its time (default 0).
   */
  start(scenario: Scenario, options: { pageSize: number; ingestionDelayMs?: number }): Promise<{ fake: FakeVendor; config: Record<string, unknown> }>;
}
