import { DEMO_SECRET, demoSource } from '../../../dev/demo/demo-source.js';
import type { VendorDevKit } from '../../../dev/vendor-dev-kit.js';
import { startFakeCrowdstrike } from './fake-crowdstrike-server.js';
import { harness } from './harness.js';

export const devKit: VendorDevKit = {
  type: 'crowdstrike',
  harness,
  demoSource: demoSource(
    'crowdstrike',
    'CrowdStrike Falcon (Hosts API + NG-SIEM query jobs)',
    (scenario, secret) => startFakeCrowdstrike({ scenario, clientId: 'demo-client', clientSecret: secret }),
    () => ['client_id: demo-client', `client_secret: ${DEMO_SECRET}`],
  ),
};
