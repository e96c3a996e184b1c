import { startFakeCrowdstrike } from './fake-crowdstrike-server.js';
import { aidOf } from './falcon-data.js';
import type { ConnectorHarness } from '../../../dev/conformance-harness.js';

export const harness: ConnectorHarness = {
  type: 'crowdstrike',
  matchesBy: 'hostname',
  // NetworkConnectIP4/6 carry the remote address only; names live in separate DnsRequest events.
  deviceIdOf: aidOf,
  destinationNames: false,
  // ParentBaseFileName and ProcessStartTime through the ProcessRollup2 join; Falcon has the parent's base name only.
  processLineage: { parentName: true, parentPath: false, startedAtResolutionMs: 1 },
  async start(scenario, { pageSize, ingestionDelayMs }) {
    const fake = await startFakeCrowdstrike({ scenario, ingestionDelayMs, clientId: 'conformance-client', clientSecret: 'conformance-secret' });
    return {
      fake,
      config: {
        id: 'falcon-conformance',
        type: 'crowdstrike',
        base_url: fake.url,
        client_id: 'conformance-client',
        client_secret: 'conformance-secret',
        page_size: Math.min(pageSize, 10_000),
        timeout: '1s',
        max_retries: 2,
      },
    };
  },
};
