import type { Scenario } from '../scenario.js';
import { benignEstateScenario } from './benign-estate.js';
import { OTRF_SCENARIOS } from './otrf.js';
import { SYNTHETIC_SCENARIOS } from './synthetic.js';

/** Every scenario `npm run eval` runs, recordings first. */
export function allScenarios(): Scenario[] {
  return [...OTRF_SCENARIOS, ...SYNTHETIC_SCENARIOS, benignEstateScenario()];
}
