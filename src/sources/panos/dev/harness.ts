import { startFakePanos } from './fake-panos-server.js';
import type { ConnectorHarness } from '../../../dev/conformance-harness.js';

const API_KEY = 'conformance-panos-key';

export const harness: ConnectorHarness = {
  type: 'panos',
  matchesBy: 'ip',
  destinationNames: false,
  // Firewalls see no process.
  processLineage: { parentName: false, parentPath: false },
  async start(scenario, { pageSize, ingestionDelayMs }) {
    const fake = await startFakePanos({ scenario, ingestionDelayMs, apiKey: API_KEY });
    return {
      fake,
      config: {
        id: 'panos-conformance',
        type: 'panos',
        base_url: fake.url,
        api_key: API_KEY,
        page_size: Math.min(pageSize, 5_000),
        job_poll_interval: '50ms',
        timeout: '1s',
        max_retries: 2,
      },
    };
  },
};
