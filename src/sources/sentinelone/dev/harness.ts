import { startFakeSentinelone } from './fake-sentinelone-server.js';
import { agentUuidOf } from './dv-data.js';
import type { ConnectorHarness } from '../../../dev/conformance-harness.js';

export const harness: ConnectorHarness = {
  type: 'sentinelone',
  matchesBy: 'hostname',
  deviceIdOf: agentUuidOf,
  destinationNames: false,
  // srcProcParentName, srcProcParentImagePath and srcProcStartTime of the IP Connect row.
  processLineage: { parentName: true, parentPath: true, startedAtResolutionMs: 1 },
  async start(scenario, { pageSize, ingestionDelayMs }) {
    const fake = await startFakeSentinelone({ scenario, ingestionDelayMs, apiToken: 'conformance-api-token' });
    return {
      fake,
      config: {
        id: 's1-conformance',
        type: 'sentinelone',
        base_url: fake.url,
        api_token: 'conformance-api-token',
        // dv/events pages hold at most 1,000 events.
        page_size: Math.min(pageSize, 1_000),
        timeout: '1s',
        max_retries: 2,
      },
    };
  },
};
