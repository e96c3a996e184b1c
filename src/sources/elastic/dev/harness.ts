import { startFakeElastic } from './fake-elastic-server.js';
import { hostId } from './ecs-docs.js';
import type { ConnectorHarness } from '../../../dev/conformance-harness.js';

const API_KEY = Buffer.from('conformance-key-id:conformance-key-secret').toString('base64');

export const harness: ConnectorHarness = {
  type: 'elastic',
  matchesBy: 'hostname',
  // Sysmon records carry destination.domain and the connector reports it, but Elastic Defend's network events carry
  // none: a name's host count leaves out the Defend host, so names cannot match the suite's count of every host.
  deviceIdOf: hostId,
  destinationNames: false,
  // The implant host runs Defend, whose network events carry process.uptime (whole seconds) but no process.parent.*.
  processLineage: { parentName: false, parentPath: false, startedAtResolutionMs: 1_000 },
  async start(scenario, { pageSize, ingestionDelayMs }) {
    const fake = await startFakeElastic({ scenario, ingestionDelayMs, apiKey: API_KEY });
    return {
      fake,
      config: {
        id: 'elastic-conformance',
        type: 'elastic',
        base_url: fake.url,
        api_key: API_KEY,
        page_size: Math.min(pageSize, 10_000),
        timeout: '1s',
        max_retries: 2,
      },
    };
  },
};
