import { DEMO_SECRET, demoSource } from '../../../dev/demo/demo-source.js';
import type { VendorDevKit } from '../../../dev/vendor-dev-kit.js';
import { startFakeElastic } from './fake-elastic-server.js';
import { harness } from './harness.js';

export const devKit: VendorDevKit = {
  type: 'elastic',
  harness,
  demoSource: demoSource(
    'elastic',
    'Elastic Security (Elastic Defend and Sysmon in Elasticsearch)',
    (scenario, secret) => startFakeElastic({ scenario, apiKey: secret }),
    () => [`api_key: ${DEMO_SECRET}`],
  ),
};
