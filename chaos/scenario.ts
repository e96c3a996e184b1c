import { createScenario, type Scenario, type SimConnection } from '../src/dev/scenario/index.js';
import type { Figures } from './figures.js';
import type { Stack } from './stack.js';

/** One chaos scenario: what it expects is stated before it runs, and every figure it measures has a target. */
export interface ChaosScenario {
  name: string;
  expectation: string;
  /** `track` registers each stack the scenario starts, for the crash and log checks and for closing it after. */
  run(figures: Figures, track: (stack: Stack) => Stack): Promise<void>;
}

/**
 * A scenario whose block happens when the scenario says, not when its stack was built (which takes seconds to
 * minutes on a loaded machine): the fakes serve it from the start, and `blockNow` moves its block to the moment
 * the first webhook goes out.
 */
export class ScenarioClock implements Scenario {
  private current: Scenario;

  constructor(private readonly play: (blockedAt: Date) => Scenario) {
    this.current = play(new Date());
  }

  /** The SOAR blocks now (or at `blockedAt`): every connection from here on follows that block. */
  blockNow(blockedAt = new Date()): void {
    this.current = this.play(blockedAt);
  }

  get name() {
    return this.current.name;
  }

  get blockedAt() {
    return this.current.blockedAt;
  }

  get hosts() {
    return this.current.hosts;
  }

  get blockedIndicator() {
    return this.current.blockedIndicator;
  }

  get fallback() {
    return this.current.fallback;
  }

  connections(from: Date, to: Date): SimConnection[] {
    return this.current.connections(from, to);
  }
}

/** The demo's scenario on a compressed clock: an implant on FIN-WS-042 falls back to a new C2 soon after the block. */
export const fallbackScenarioAt = (blockedAt: Date, fallbackAfterMs = 3_000): Scenario =>
  createScenario('fallback', { blockedAt, fallbackAfterMs, timeScale: 20 });

export const fallbackScenario = (fallbackAfterMs = 3_000): ScenarioClock => new ScenarioClock((blockedAt) => fallbackScenarioAt(blockedAt, fallbackAfterMs));

export const seconds = (ms: number): string => `${Math.round(ms / 1_000)}s`;

/** Resolves after `ms`: only where the scenario itself is a stretch of time (Redis down for 30 s, a vendor failing for a minute). */
export const stretch = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
