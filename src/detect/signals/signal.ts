import type { ConnectionEvent } from '../../contracts/connection-event.js';
import type { FindingKind } from '../../contracts/finding.js';
import type { CompiledBaseline, CompiledHostBaseline } from '../baseline.js';
import type { BeaconScore } from '../beaconing.js';
import type { EventFacts } from '../facts.js';
import type { CidrList } from '../../lib/net.js';
import type { DetectionSettings } from '../settings.js';

/** What one signal found in one event: its strength (0-1, combined by noisy-OR) and the lines a responder reads. */
export interface SignalFinding {
  strength: number;
  reasons: string[];
}

/** A tuple's beacon score and how many connections it has had, when an event is judged with its history. */
export interface BeaconContext {
  beacon: BeaconScore;
  times: number;
}

/** One event as every signal sees it: its normalized facts, the host's own baseline, and where it goes. */
export interface JudgedEvent {
  event: ConnectionEvent;
  facts: EventFacts;
  /** Undefined when the host had no usable baseline row. */
  hostBaseline: CompiledHostBaseline | undefined;
  /** The host's label, as reasons name it. */
  hostLabel: string;
  /** Inside `networks.internal`. */
  dstInternal: boolean;
  /** Set only when the event is judged with its tuple's history (`Detector.judgeBeacon`). */
  beacon: BeaconContext | undefined;
}

/** What a watch's signals are compiled from, once. */
export interface DetectionScope {
  baseline: CompiledBaseline;
  settings: DetectionSettings;
  internal: CidrList;
  /** Epoch ms of the block, when known: what "after the block" means. */
  blockedAt: number | undefined;
}

/**
 * One detection signal: a pure judgement of one event against the host baseline and the estate. Returns undefined
 * when it has nothing to say, so the common case allocates nothing. A new signal is one module and one line in
 * `SIGNALS` (./index.ts).
 */
export interface Signal {
  readonly kind: FindingKind;
  judge(judged: JudgedEvent): SignalFinding | undefined;
}

export type SignalFactory = (scope: DetectionScope) => Signal;
