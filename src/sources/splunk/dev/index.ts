import { DEMO_SECRET, demoSource } from '../../../dev/demo/demo-source.js';
import type { VendorDevKit } from '../../../dev/vendor-dev-kit.js';
import { startFakeSplunk } from './fake-splunk-server.js';
import { harness } from './harness.js';

export const devKit: VendorDevKit = {
  type: 'splunk',
  harness,
  demoSource: demoSource(
    'splunk',
    'Splunk (search jobs over Sysmon Event ID 3)',
    (scenario, secret) => startFakeSplunk({ scenario, token: secret }),
    () => [`token: ${DEMO_SECRET}`],
  ),
};
