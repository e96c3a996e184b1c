import { randomBytes } from 'node:crypto';
import { startFakeMde } from '../mde/fake-mde-server.js';
import type { Scenario } from '../scenario/index.js';

/** A vendor fake started for the demo, with the YAML source entry that points at it. */
export interface RunningDemoSource {
  /** Human name, printed by the demo. */
  label: string;
  url: string;
  /** The `sources:` list item, indented for containment-watch.yaml; secrets as `${VAR}`. */
  yaml: string;
  /** The variables those `${VAR}` read. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export interface DemoSource {
  type: string;
  start(scenario: Scenario): Promise<RunningDemoSource>;
}

const secret = () => randomBytes(24).toString('hex');

const mde: DemoSource = {
  type: 'mde',
  async start(scenario) {
    const clientSecret = secret();
    const fake = await startFakeMde({ scenario, tenantId: 'demo-tenant', clientId: 'demo-client', clientSecret, ingestionDelayMs: 2_000 });
    return {
      label: 'Microsoft Defender for Endpoint (Graph advanced hunting)',
      url: fake.url,
      yaml: `  - id: mde-demo
    type: mde
    base_url: ${fake.url}
    token_url: ${fake.url}
    tenant_id: demo-tenant
    client_id: demo-client
    client_secret: \${DEMO_SOURCE_SECRET}
    lookback: 15s
`,
      env: { DEMO_SOURCE_SECRET: clientSecret },
      close: () => fake.close(),
    };
  },
};

/** Every vendor the demo can play the scenario through (`npm run demo -- --source <type>`). */
export const DEMO_SOURCES: readonly DemoSource[] = [mde];

export const demoSourceFor = (type: string): DemoSource | undefined => DEMO_SOURCES.find((source) => source.type === type);
