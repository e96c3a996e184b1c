import type { ConnectionEvent } from '../contracts/connection-event.js';
import type { Finding } from '../contracts/finding.js';
import type { Indicator } from '../contracts/containment-request.js';
import type { WatchedHost } from '../contracts/watch.js';

/** What the detector decides about one event of a watched host. */
export type Assessment =
  | {
      type: 'finding';
      /** Stable id of the (watch, host, process, destination, port, protocol) tuple. */
      findingId: string;
      /** The finding as this event alone shows it; the store merges count and first/last seen. */
      finding: Omit<Finding, 'count' | 'first_seen' | 'last_seen' | 'status' | 'sources'>;
    }
  /** Matched an allow-rule (YAML, Slack "mark benign" or built-in catalog). */
  | { type: 'suppressed'; ruleId: string }
  /** Consistent with the baseline, or below the reporting threshold. */
  | { type: 'normal' }
  /** Not something the watch judges: inbound or listening sockets, loopback, other hosts, outside the window. */
  | { type: 'ignored'; reason: string };

/** The part of a watch the detector needs. */
export interface WatchDetectionContext {
  watchId: string;
  incidentId: string;
  blocked: readonly Indicator[];
  hosts: readonly WatchedHost[];
}

/** Judges the events of one watch (see `createDetector`). */
export interface Detector {
  /**
   * Judges one event. Never throws on events that passed `ConnectionEventSchema`. The `ignored`, `normal` and
   * `suppressed` results are shared frozen objects: do not mutate them.
   */
  assess(event: ConnectionEvent): Assessment;
}
