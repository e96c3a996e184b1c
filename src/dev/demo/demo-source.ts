import { randomBytes } from 'node:crypto';
import type { Scenario } from '../scenario/index.js';

/** A vendor fake started for the demo, with the YAML source entry that points at it. */
export interface RunningDemoSource {
  /** Human name, printed by the demo. */
  label: string;
  url: string;
  /** The `sources:` list item, indented for containment-watch.yaml; the secret as `${DEMO_SOURCE_SECRET}`. */
  yaml: string;
  /** The variables those `${VAR}` read. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export interface DemoSource {
  type: string;
  start(scenario: Scenario): Promise<RunningDemoSource>;
}

interface Fake {
  url: string;
  close(): Promise<void>;
}

/** How a source's YAML fields write its secret: the demo passes the value in this variable. */
export const DEMO_SECRET = '${DEMO_SOURCE_SECRET}';
/** The demo's windows are seconds long: its fakes' telemetry (at most 2 s late) settles within this. */
const DEMO_SETTLE = '3s';

/**
 * One demo source: `start` runs the vendor's fake with a fresh secret, `fields` are the source's YAML fields
 * besides id/type/base_url/lookback (the secret written as `DEMO_SECRET`).
 */
export function demoSource(type: string, label: string, start: (scenario: Scenario, secret: string) => Promise<Fake>, fields: (url: string) => string[]): DemoSource {
  return {
    type,
    async start(scenario) {
      const secret = randomBytes(24).toString('hex');
      const fake = await start(scenario, secret);
      const lines = [`id: ${type}-demo`, `type: ${type}`, `base_url: ${fake.url}`, ...fields(fake.url), 'lookback: 15s', `settle: ${DEMO_SETTLE}`];
      return {
        label,
        url: fake.url,
        yaml: `  - ${lines.join('\n    ')}\n`,
        env: { DEMO_SOURCE_SECRET: secret },
        close: () => fake.close(),
      };
    },
  };
}
