import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordingsAbsentReason } from '../../eval/data-folder.js';
import { evaluateScenario, type ScenarioOutcome } from '../../eval/evaluate.js';
import { benignEstateScenario } from '../../eval/scenarios/benign-estate.js';
import { OTRF_SCENARIOS } from '../../eval/scenarios/otrf.js';
import { SYNTHETIC_SCENARIOS } from '../../eval/scenarios/synthetic.js';
import { summarize } from '../../eval/summary.js';
import type { Scenario } from '../../eval/scenario.js';

/**
 * The same comparison as `npm run eval`: each scenario's own expectations (its findings at their minimum severity,
 * its verdict, no false finding of medium or above), then the false-finding targets per 100 host-days. A failure
 * lists every reason, as the eval's table does.
 */

const workDir = mkdtempSync(join(tmpdir(), 'cw-eval-test-'));
const outcomes = new Map<string, Promise<ScenarioOutcome>>();

/** Each scenario runs once, however many tests look at it. */
function outcomeOf(scenario: Scenario): Promise<ScenarioOutcome> {
  let outcome = outcomes.get(scenario.name);
  if (!outcome) outcomes.set(scenario.name, (outcome = evaluateScenario(scenario, workDir)));
  return outcome;
}

const recordingsAbsent = recordingsAbsentReason([...new Set(OTRF_SCENARIOS.flatMap((scenario) => scenario.recordings ?? []))]);
if (recordingsAbsent) console.warn(`skipping the OTRF recording scenarios: ${recordingsAbsent}`);

describe.skipIf(recordingsAbsent !== undefined)('the OTRF recordings, each against its own expectations', () => {
  for (const scenario of OTRF_SCENARIOS) {
    it(scenario.name, async () => {
      expect((await outcomeOf(scenario)).failures).toEqual([]);
    });
  }

  it('false findings on the real recordings meet the targets (per 100 host-days of telemetry present)', async () => {
    const { groups } = summarize(await Promise.all(OTRF_SCENARIOS.map(outcomeOf)));
    const [real] = groups;
    expect(real?.data).toBe('recording');
    expect({ medium: real?.medium, low: real?.low }).toMatchObject({ medium: { ok: true }, low: { ok: true } });
  });
});

describe('synthetic scenarios, each against its own expectations', () => {
  for (const scenario of SYNTHETIC_SCENARIOS) {
    it(scenario.name, async () => {
      expect((await outcomeOf(scenario)).failures).toEqual([]);
    });
  }

  it('an implant that only retries the blocked address: every attempt is in the finding, two a minute', async () => {
    const scenario = SYNTHETIC_SCENARIOS.find((candidate) => candidate.name === 'retry-only')!;
    const outcome = await outcomeOf(scenario);
    expect(outcome.expectations[0]?.finding).toMatchObject({ connected: false, count: outcome.attack.connections });
    // One attempt per 30 s slot, within the first 6 s of it: two in every minute of the window.
    expect(outcome.expectations[0]?.finding?.retry_rate).toMatchObject({ minutes: outcome.attack.connections / 2, peak: 2 });
  });
});

describe('a benign estate', () => {
  it('40 workstations over 24 h of ordinary traffic: no false finding of medium or above, both targets met, the block held', async () => {
    const outcome = await evaluateScenario(benignEstateScenario(40), workDir);
    expect(outcome.hostDays).toBeGreaterThan(39);
    expect(outcome.result.stats.window.events).toBeGreaterThan(40 * 1_500);
    expect(outcome.failures).toEqual([]);
    const [generated] = summarize([outcome]).groups;
    expect({ medium: generated?.medium, low: generated?.low }).toMatchObject({ medium: { ok: true }, low: { ok: true } });
  });
});
