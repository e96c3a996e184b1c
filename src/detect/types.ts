import type { ConnectionEvent } from '../contracts/connection-event.js';
import type { Finding } from '../contracts/finding.js';
import type { Indicator } from '../contracts/containment-request.js';
import type { WatchedHost } from '../contracts/watch.js';
import type { BeaconTrack } from './beacon-history.js';

/** What the detector decides about one event of a watched host. */
export type Assessment =
  | {
      type: 'finding';
      /** Stable id of the (watch, host, process, destination, port, protocol) tuple. */
      findingId: string;
      /** The finding as this event alone shows it; the store merges count and first/last seen. */
      finding: Omit<Finding, 'count' | 'retry_rate' | 'first_seen' | 'last_seen' | 'status' | 'sources'>;
    }
  /** Matched an allow-rule (YAML, Slack "mark benign" or built-in catalog). */
  | { type: 'suppressed'; ruleId: string }
  /** Consistent with the baseline, or below the reporting threshold. */
  | { type: 'normal' }
  /** Not something the watch judges: inbound or listening sockets, loopback, other hosts, outside the window. */
  | { type: 'ignored'; reason: string };

export type FindingAssessment = Extract<Assessment, { type: 'finding' }>;

/** `assess`'s verdict on an event, plus whether its tuple is worth a beacon history. */
export interface Observation {
  assessment: Assessment;
  /**
   * The tuple's finding id when regular repeats could change the outcome: findings (beaconing joins them) and
   * `normal` events scored below `min_score` that a beacon would lift over it. Undefined for ignored and suppressed
   * events, for exact baseline tuples (established behaviour, however regular), and for tuples a beacon could not
   * lift.
   */
  beaconTuple: string | undefined;
}

/** The part of a watch the detector needs. */
export interface WatchDetectionContext {
  watchId: string;
  incidentId: string;
  blocked: readonly Indicator[];
  hosts: readonly WatchedHost[];
  /** Epoch ms of the block: a process started after it is new. Default: unknown (no `new_process` judgement). */
  blockedAt?: number;
}

/** Judges the events of one watch (see `createDetector`). */
export interface Detector {
  /** The watched host an event is from (by EDR id, host name or address), or undefined for another host's. */
  matchHost(event: ConnectionEvent): WatchedHost | undefined;
  /**
   * Judges one event. Never throws on events that passed `ConnectionEventSchema`. The `ignored`, `normal` and
   * `suppressed` results are shared frozen objects: do not mutate them.
   */
  assess(event: ConnectionEvent): Assessment;
  /** `assess`, telling also which beacon history the event belongs to. */
  observe(event: ConnectionEvent): Observation;
  /**
   * Judges an event again with its tuple's beacon history (src/detect/beacon-history.ts): a finding that carries
   * `beaconing` and its reason when the history scores at least `tuning.beacon_min_score` and the combined score
   * reaches `min_score`; undefined otherwise, and for events `observe` gives no tuple.
   */
  judgeBeacon(event: ConnectionEvent, track: BeaconTrack): FindingAssessment | undefined;
}
