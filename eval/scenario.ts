import type { Severity } from '../src/contracts/common.js';
import type { ConnectionEvent } from '../src/contracts/connection-event.js';
import type { FindingKind } from '../src/contracts/finding.js';
import type { Verdict } from '../src/contracts/watch.js';
import type { BacktestRequest } from '../src/backtest/watch-of.js';
import type { DetectionSettingsInput } from '../src/detect/settings.js';
import type { RecordingName } from './recordings.js';

/**
 * A finding a scenario must produce, written from what the attacker did before the scenario is ever run: the
 * tuple, the lowest severity a responder would accept for it, and the kinds that are facts of the attack.
 */
export interface ExpectedFinding {
  host: string;
  /** Image file name, e.g. "InstallUtil.exe"; omitted for network sources that see no process. */
  process?: string;
  dst: { ip: string; port?: number };
  protocol: string;
  /** A finding of this tuple below this severity is a miss. */
  minSeverity: Severity;
  /**
   * Kinds the finding must name because they are facts of the attack: `blocked_retry` for a connection to a blocked
   * indicator, `protocol_shift` for DNS to an outside resolver, `beaconing` for a regular callback. Empty: any kind.
   * An expectation whose kinds are exactly `['blocked_retry']` is a retry of the blocked C2; every other one is a
   * fallback channel, and recall is reported with and without the retries.
   */
  kinds: FindingKind[];
  /** The fact in the telemetry the expectation rests on. */
  fact: string;
}

/** How generated telemetry reaches the backtest: as a file in one of the formats it reads, or directly. */
export type TelemetryFormat = 'connection-events' | 'mde-csv' | 'mde-json' | 'sysmon-winlogbeat' | 'zeek-conn' | 'in-memory';

export type Telemetry =
  | { role: 'events' | 'baseline'; path: string }
  | { role: 'events' | 'baseline'; name: string; format: TelemetryFormat; events: () => Iterable<ConnectionEvent> };

/** One evaluation case: a containment request, its telemetry, and what the watch must conclude. */
export interface Scenario {
  name: string;
  summary: string;
  /**
   * Where the benign traffic comes from: real recordings (the false-finding targets are measured on these), or
   * telemetry this project generates.
   */
  data: 'recording' | 'synthetic';
  /** The third-party recordings the scenario reads from the data folder (`CW_EVAL_DATA`). */
  recordings?: readonly RecordingName[];
  /** The webhook body (`blocked_at` required). */
  request: BacktestRequest;
  /** The YAML's detection sections: networks, ports, allow-rules, tuning. */
  settings: DetectionSettingsInput;
  telemetry(): Telemetry[];
  /** The attacker's connections; every other event of the watched hosts is benign and must not make a finding. */
  isAttack(event: ConnectionEvent): boolean;
  expected: {
    findings: ExpectedFinding[];
    verdict: Verdict;
    /** Why this verdict, from the facts: what got through, what was only retried, what the telemetry cannot show. */
    because: string;
  };
}

/** True when the expectation is a retry of a blocked indicator, not a fallback channel. */
export const isRetryExpectation = (expected: ExpectedFinding): boolean =>
  expected.kinds.length === 1 && expected.kinds[0] === 'blocked_retry';
