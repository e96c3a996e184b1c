import { startFakeFortigate } from './fake-fortigate-server.js';
import type { ConnectorHarness } from '../../../dev/conformance-harness.js';

const TOKEN = 'conformance-fortigate-token';

export const harness: ConnectorHarness = {
  type: 'fortigate',
  matchesBy: 'ip',
  destinationNames: false,
  // Firewalls see no process.
  processLineage: { parentName: false, parentPath: false },
  async start(scenario, { pageSize, ingestionDelayMs }) {
    const fake = await startFakeFortigate({ scenario, ingestionDelayMs, token: TOKEN });
    return {
      fake,
      config: {
        id: 'fortigate-conformance',
        type: 'fortigate',
        base_url: fake.url,
        token: TOKEN,
        page_size: pageSize,
        timeout: '1s',
        max_retries: 2,
      },
    };
  },
};
