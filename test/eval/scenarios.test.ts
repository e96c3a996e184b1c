import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateScenario, type ScenarioOutcome } from '../../eval/evaluate.js';
import { recordingsAbsentReason } from '../../eval/data-folder.js';
import { benignEstateScenario } from '../../eval/scenarios/benign-estate.js';
import { OTRF_SCENARIOS } from '../../eval/scenarios/otrf.js';
import { SYNTHETIC_SCENARIOS } from '../../eval/scenarios/synthetic.js';
import type { Scenario } from '../../eval/scenario.js';

const workDir = mkdtempSync(join(tmpdir(), 'cw-eval-test-'));
const outcomes = new Map<string, Promise<ScenarioOutcome>>();

/** Each scenario runs once, however many tests look at it. */
function outcomeOf(name: string): Promise<ScenarioOutcome> {
  let outcome = outcomes.get(name);
  if (!outcome) outcomes.set(name, (outcome = evaluateScenario(scenario(name), workDir)));
  return outcome;
}

function scenario(name: string): Scenario {
  const found = [...OTRF_SCENARIOS, ...SYNTHETIC_SCENARIOS].find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no scenario ${name}`);
  return found;
}

/** Every expected finding is there, with every expected kind; no benign connection made a medium or worse finding. */
function expectFound(outcome: ScenarioOutcome): void {
  for (const { expected, finding, missingKinds } of outcome.expectations) {
    expect(finding, `${expected.host} ${expected.process ?? ''} -> ${expected.dst.ip}`).toBeDefined();
    expect(missingKinds, `kinds missing on ${expected.host} -> ${expected.dst.ip}`).toEqual([]);
  }
  expect(outcome.falseFindings.mediumOrAbove).toEqual([]);
  expect(outcome.attack.caught).toBeGreaterThan(0);
}

const recordingsAbsent = recordingsAbsentReason();
if (recordingsAbsent) console.warn(`skipping the OTRF recording scenarios: ${recordingsAbsent}`);

describe.skipIf(recordingsAbsent !== undefined)('the OTRF recordings: the C2 calls after the block are found, the lab background is not', () => {
  for (const { name } of OTRF_SCENARIOS) {
    it(name, async () => {
      const outcome = await outcomeOf(name);
      expectFound(outcome);
      expect(outcome.attack.caught).toBe(outcome.attack.connections);
    });
  }

  it('a single retry of the blocked C2, not reported as through, leaves the block held and names the host', async () => {
    for (const name of ['otrf-covenant-installutil', 'otrf-covenant-wmi-subscription']) {
      const { result } = await outcomeOf(name);
      expect(result.watch.verdict).toBe('held');
      expect(result.watch.verdict_reasons?.join(' ')).toMatch(/the implant is still trying the blocked address from WORKSTATION[56]/);
    }
  });

  // The known defect of the retry-only scenario below: beaconing on the retries reads as a channel that got through.
  it('the Empire agent retrying the blocked C2 every 5 s leaves the block held', async () => {
    expect((await outcomeOf('otrf-empire-dll-injection')).result.watch.verdict).toBe('held');
  });
});

describe('synthetic fallback channels', () => {
  it('HTTPS on 8443 from a renamed rundll32 in C:\\Users\\Public is a high finding, and the retries of the C2 too', async () => {
    const outcome = await outcomeOf('https-8443-renamed-binary');
    expectFound(outcome);
    expect(outcome.expectations.map(({ finding }) => finding?.severity)).toEqual(['high', 'high']);
    expect(outcome.result.watch.verdict).toBe('breached');
  });

  it('an implant that only retries the blocked address is found: the implant is alive', async () => {
    const outcome = await outcomeOf('retry-only');
    expectFound(outcome);
    expect(outcome.expectations[0]?.finding).toMatchObject({ connected: false, count: outcome.attack.connections });
    // One attempt per 30 s slot, within the first 6 s of it: two in every minute of the window.
    expect(outcome.expectations[0]?.finding?.retry_rate).toMatchObject({ minutes: outcome.attack.connections / 2, peak: 2 });
  });

  it('an implant that only retries the blocked address, all attempts dropped, leaves the block held', async () => {
    const outcome = await outcomeOf('retry-only');
    expect(outcome.result.watch.verdict).toBe('held');
  });

  for (const name of ['dns-tunnel', 'icmp-tunnel', 'slow-jittered-beacon']) {
    it(`${name}: found with the kinds the issue asks for`, async () => {
      const outcome = await outcomeOf(name);
      expectFound(outcome);
      expect(outcome.result.watch.verdict).toBe('breached');
    });
  }
});

describe('a benign estate', () => {
  it('40 workstations over 24 h of ordinary traffic: at most 1 false finding per 100 host-days, and the block held', async () => {
    const outcome = await evaluateScenario(benignEstateScenario(40), workDir);
    expect(outcome.hostDays).toBe(40);
    expect((100 * outcome.falseFindings.mediumOrAbove.length) / outcome.hostDays).toBeLessThanOrEqual(1);
    expect(outcome.result.watch.verdict).toBe('held');
    expect(outcome.result.stats.window.events).toBeGreaterThan(40 * 1_500);
  });
});
