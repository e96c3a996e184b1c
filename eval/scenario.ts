import type { ConnectionEvent } from '../src/contracts/connection-event.js';
import type { FindingKind } from '../src/contracts/finding.js';
import type { Verdict } from '../src/contracts/watch.js';
import type { BacktestRequest } from '../src/backtest/watch-of.js';
import type { DetectionSettingsInput } from '../src/detect/settings.js';

/** A finding a scenario must produce: the tuple, and every kind the issue asks the detector to name. */
export interface ExpectedFinding {
  host: string;
  /** Image file name, e.g. "InstallUtil.exe"; omitted for network sources that see no process. */
  process?: string;
  dst: { ip: string; port?: number };
  protocol: string;
  kinds: FindingKind[];
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
  /** The webhook body (`blocked_at` required). */
  request: BacktestRequest;
  /** The YAML's detection sections: networks, ports, allow-rules, tuning. */
  settings: DetectionSettingsInput;
  telemetry(): Telemetry[];
  /** The attacker's connections; every other event of the watched hosts is benign and must not make a finding. */
  isAttack(event: ConnectionEvent): boolean;
  expected: { findings: ExpectedFinding[]; verdict: Verdict };
}
