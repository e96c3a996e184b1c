import { benignFlows } from './benign-flows.js';
import { BLOCKED_C2, DEFAULT_FALLBACK_AFTER_MS, FALLBACK_C2, fallbackFlows, fallbackProcess } from './fallback-flows.js';
import { flowEvents, type Flow } from './flow.js';
import { SIM_HOSTS } from './hosts.js';
import type { Scenario, ScenarioName, SimHost } from './types.js';

export interface ScenarioOptions {
  /** When the SOAR blocked the C2 IP. */
  blockedAt: Date;
  /** Delay between the block and the implant's fallback channel. Default 20 s. */
  fallbackAfterMs?: number;
  /** Divides the background traffic's periods, for time-compressed watches (demo, tests). Default 1. */
  timeScale?: number;
}

function implantHost(): SimHost {
  const host = SIM_HOSTS[1];
  if (!host) throw new Error('scenario hosts are missing FIN-WS-042');
  return host;
}

/**
 * A deterministic scenario over FIN-WS-041..043: `benign` is background traffic only; `fallback` adds an
 * implant on FIN-WS-042 that switches to a new C2 after the block. Same inputs, same events, same ids.
 */
export function createScenario(name: ScenarioName, options: ScenarioOptions): Scenario {
  const blockedAt = options.blockedAt.getTime();
  const fallbackAt = blockedAt + (options.fallbackAfterMs ?? DEFAULT_FALLBACK_AFTER_MS);
  const flows: Flow[] = SIM_HOSTS.flatMap((host) => benignFlows(host, blockedAt, options.timeScale));
  const host = implantHost();
  if (name === 'fallback') flows.push(...fallbackFlows(host, blockedAt, fallbackAt));

  return {
    name,
    blockedAt: new Date(blockedAt),
    hosts: SIM_HOSTS,
    blockedIndicator: { type: 'ip', value: BLOCKED_C2.ip },
    fallback:
      name === 'fallback'
        ? { host, process: fallbackProcess(host, fallbackAt), dst: FALLBACK_C2, protocol: 'tcp', startsAt: new Date(fallbackAt) }
        : undefined,
    connections(from, to) {
      const fromMs = from.getTime();
      const toMs = to.getTime();
      return flows
        .flatMap((flow) => flowEvents(flow, fromMs, toMs))
        .sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
  };
}

export type { Scenario, ScenarioName, SimConnection, SimDestination, SimHost, SimProcess } from './types.js';
export { searchableAt } from './types.js';
export { BLOCKED_C2, FALLBACK_C2, DEFAULT_FALLBACK_AFTER_MS } from './fallback-flows.js';
export { SIM_HOSTS } from './hosts.js';
