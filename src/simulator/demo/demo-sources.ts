import { randomBytes } from 'node:crypto';
import { startFakeCrowdstrike } from '../crowdstrike/fake-crowdstrike-server.js';
import { startFakeElastic } from '../elastic/fake-elastic-server.js';
import { startFakeFortigate } from '../fortigate/fake-fortigate-server.js';
import { startFakeMde } from '../mde/fake-mde-server.js';
import { startFakePanos } from '../panos/fake-panos-server.js';
import type { Scenario } from '../scenario/index.js';
import { startFakeSentinelone } from '../sentinelone/fake-sentinelone-server.js';
import { startFakeSplunk } from '../splunk/fake-splunk-server.js';

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

/**
 * One demo source: `start` runs the vendor's fake with a fresh secret, `fields` are the source's YAML fields
 * besides id/type/base_url/lookback (the secret written as `${DEMO_SOURCE_SECRET}`).
 */
function demoSource(type: string, label: string, start: (scenario: Scenario, secret: string) => Promise<Fake>, fields: (url: string) => string[]): DemoSource {
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

const SECRET = '${DEMO_SOURCE_SECRET}';
/** The demo's windows are seconds long: its fakes' telemetry (at most 2 s late) settles within this. */
const DEMO_SETTLE = '3s';

/** Every vendor the demo can play the scenario through (`npm run demo -- --source <type>`). */
export const DEMO_SOURCES: readonly DemoSource[] = [
  demoSource(
    'mde',
    'Microsoft Defender for Endpoint (Graph advanced hunting)',
    (scenario, secret) => startFakeMde({ scenario, tenantId: 'demo-tenant', clientId: 'demo-client', clientSecret: secret, ingestionDelayMs: 2_000 }),
    (url) => [`token_url: ${url}`, 'tenant_id: demo-tenant', 'client_id: demo-client', `client_secret: ${SECRET}`],
  ),
  demoSource(
    'crowdstrike',
    'CrowdStrike Falcon (Hosts API + NG-SIEM query jobs)',
    (scenario, secret) => startFakeCrowdstrike({ scenario, clientId: 'demo-client', clientSecret: secret }),
    () => ['client_id: demo-client', `client_secret: ${SECRET}`],
  ),
  demoSource(
    'sentinelone',
    'SentinelOne (Deep Visibility)',
    (scenario, secret) => startFakeSentinelone({ scenario, apiToken: secret }),
    () => [`api_token: ${SECRET}`],
  ),
  demoSource(
    'elastic',
    'Elastic Security (Elastic Defend and Sysmon in Elasticsearch)',
    (scenario, secret) => startFakeElastic({ scenario, apiKey: secret }),
    () => [`api_key: ${SECRET}`],
  ),
  demoSource(
    'splunk',
    'Splunk (search jobs over Sysmon Event ID 3)',
    (scenario, secret) => startFakeSplunk({ scenario, token: secret }),
    () => [`token: ${SECRET}`],
  ),
  // Firewalls see sessions by IP, without processes: their findings rest on ports, destinations and denies.
  demoSource(
    'panos',
    'Palo Alto Networks PAN-OS (XML API traffic logs)',
    (scenario, secret) => startFakePanos({ scenario, apiKey: secret }),
    () => [`api_key: ${SECRET}`],
  ),
  demoSource(
    'fortigate',
    'Fortinet FortiGate (REST traffic logs)',
    (scenario, secret) => startFakeFortigate({ scenario, token: secret }),
    () => [`token: ${SECRET}`],
  ),
];

export const demoSourceFor = (type: string): DemoSource | undefined => DEMO_SOURCES.find((source) => source.type === type);
