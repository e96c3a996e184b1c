import { HOUR } from '../generate/flow.js';
import { createEstate } from '../generate/estate.js';
import type { Scenario } from '../scenario.js';
import { BLOCKED_AT, ESTATE_SETTINGS, streamedEvents } from './office.js';

/** The full evaluation estate; tests sample it down. */
export const ESTATE_WORKSTATIONS = 200;
const WINDOW_MS = 24 * HOUR;

/**
 * A quiet day on an estate of `workstations` hosts, all watched: a block of an address none of them ever contacted,
 * then 24 h of ordinary traffic. Every finding is a false one.
 */
export function benignEstateScenario(workstations = ESTATE_WORKSTATIONS): Scenario {
  const estate = createEstate({ workstations, windowFrom: BLOCKED_AT, windowTo: BLOCKED_AT + WINDOW_MS });
  return {
    name: `benign-estate-${workstations}`,
    summary: `${workstations} workstations, 24 h of normal enterprise traffic after blocking an address none of them uses`,
    data: 'synthetic',
    request: {
      incident_id: 'EVAL-benign-estate',
      title: 'Benign estate',
      blocked: [{ type: 'ip', value: '203.0.113.250' }],
      blocked_at: new Date(BLOCKED_AT).toISOString(),
      hosts: estate.workstations.map((device) => ({ hostname: device.hostname, ip: device.ip })),
      watch: { duration: '24h' },
    },
    settings: ESTATE_SETTINGS,
    telemetry: () => [{ role: 'events', name: 'estate', format: 'in-memory', events: () => streamedEvents(estate.flows, WINDOW_MS) }],
    isAttack: () => false,
    expected: { findings: [], verdict: 'held', because: 'no attacker at all: every host reports all day and none of them uses the blocked address' },
  };
}
