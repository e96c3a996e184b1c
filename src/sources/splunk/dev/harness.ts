import { startFakeSplunk } from './fake-splunk-server.js';
import type { ConnectorHarness } from '../../../dev/conformance-harness.js';

const TOKEN = 'conformance-splunk-token';

export const harness: ConnectorHarness = {
  type: 'splunk',
  matchesBy: 'hostname',
  destinationNames: true,
  // Sysmon Event ID 3 names neither the parent nor the process start (those are Event ID 1's).
  processLineage: { parentName: false, parentPath: false },
  async start(scenario, { pageSize, ingestionDelayMs }) {
    const fake = await startFakeSplunk({ scenario, ingestionDelayMs, token: TOKEN });
    return {
      fake,
      config: {
        id: 'splunk-conformance',
        type: 'splunk',
        base_url: fake.url,
        token: TOKEN,
        page_size: pageSize,
        job_poll_interval: '50ms',
        timeout: '1s',
        max_retries: 2,
      },
    };
  },
};
