import { randomBytes } from 'node:crypto';
import { startFakeFortigate } from '../fortigate/fake-fortigate-server.js';
import { startFakeMde } from '../mde/fake-mde-server.js';
import { startFakePanos } from '../panos/fake-panos-server.js';
import { startFakeSplunk } from '../splunk/fake-splunk-server.js';
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

const splunk: DemoSource = {
  type: 'splunk',
  async start(scenario) {
    const token = secret();
    const fake = await startFakeSplunk({ scenario, token });
    return {
      label: 'Splunk (search jobs over Sysmon Event ID 3)',
      url: fake.url,
      yaml: `  - id: splunk-demo\n    type: splunk\n    base_url: ${fake.url}\n    token: \${DEMO_SOURCE_SECRET}\n    lookback: 15s\n`,
      env: { DEMO_SOURCE_SECRET: token },
      close: () => fake.close(),
    };
  },
};

/** Firewalls see sessions by IP, without processes: the findings rest on ports, destinations and denies. */
const panos: DemoSource = {
  type: 'panos',
  async start(scenario) {
    const apiKey = secret();
    const fake = await startFakePanos({ scenario, apiKey });
    return {
      label: 'Palo Alto Networks PAN-OS (XML API traffic logs)',
      url: fake.url,
      yaml: `  - id: panos-demo\n    type: panos\n    base_url: ${fake.url}\n    api_key: \${DEMO_SOURCE_SECRET}\n    lookback: 15s\n`,
      env: { DEMO_SOURCE_SECRET: apiKey },
      close: () => fake.close(),
    };
  },
};

const fortigate: DemoSource = {
  type: 'fortigate',
  async start(scenario) {
    const token = secret();
    const fake = await startFakeFortigate({ scenario, token });
    return {
      label: 'Fortinet FortiGate (REST traffic logs)',
      url: fake.url,
      yaml: `  - id: fortigate-demo\n    type: fortigate\n    base_url: ${fake.url}\n    token: \${DEMO_SOURCE_SECRET}\n    lookback: 15s\n`,
      env: { DEMO_SOURCE_SECRET: token },
      close: () => fake.close(),
    };
  },
};

/** Every vendor the demo can play the scenario through (`npm run demo -- --source <type>`). */
export const DEMO_SOURCES: readonly DemoSource[] = [mde, splunk, panos, fortigate];

export const demoSourceFor = (type: string): DemoSource | undefined => DEMO_SOURCES.find((source) => source.type === type);
