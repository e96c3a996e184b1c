import { createScenario, type Scenario } from '../src/simulator/scenario/index.js';
import type { Figures } from './figures.js';
import type { Stack } from './stack.js';

/** One chaos scenario: what it expects is stated before it runs, and every figure it measures has a target. */
export interface ChaosScenario {
  name: string;
  expectation: string;
  /** `track` registers each stack the scenario starts, for the crash and log checks and for closing it after. */
  run(figures: Figures, track: (stack: Stack) => Stack): Promise<void>;
}

/** The demo's scenario on a compressed clock: an implant on FIN-WS-042 falls back to a new C2 soon after the block. */
export const fallbackScenario = (fallbackAfterMs = 3_000, blockedAt = new Date()): Scenario =>
  createScenario('fallback', { blockedAt, fallbackAfterMs, timeScale: 20 });

export const seconds = (ms: number): string => `${Math.round(ms / 1_000)}s`;

/** Resolves after `ms`: only where the scenario itself is a stretch of time (Redis down for 30 s, a vendor failing for a minute). */
export const stretch = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
