import { DEMO_SECRET, demoSource } from '../../../dev/demo/demo-source.js';
import type { VendorDevKit } from '../../../dev/vendor-dev-kit.js';
import { startFakeSentinelone } from './fake-sentinelone-server.js';
import { harness } from './harness.js';

export const devKit: VendorDevKit = {
  type: 'sentinelone',
  harness,
  demoSource: demoSource(
    'sentinelone',
    'SentinelOne (Deep Visibility)',
    (scenario, secret) => startFakeSentinelone({ scenario, apiToken: secret }),
    () => [`api_token: ${DEMO_SECRET}`],
  ),
};
