import { DEMO_SECRET, demoSource } from '../../../dev/demo/demo-source.js';
import type { VendorDevKit } from '../../../dev/vendor-dev-kit.js';
import { startFakeFortigate } from './fake-fortigate-server.js';
import { harness } from './harness.js';

export const devKit: VendorDevKit = {
  type: 'fortigate',
  harness,
  // Firewalls see sessions by IP, without processes: the demo's findings rest on ports, destinations and denies.
  demoSource: demoSource(
    'fortigate',
    'Fortinet FortiGate (REST traffic logs)',
    (scenario, secret) => startFakeFortigate({ scenario, token: secret }),
    () => [`token: ${DEMO_SECRET}`],
  ),
};
