import { DEMO_SECRET, demoSource } from '../../../dev/demo/demo-source.js';
import type { VendorDevKit } from '../../../dev/vendor-dev-kit.js';
import { startFakePanos } from './fake-panos-server.js';
import { harness } from './harness.js';

export const devKit: VendorDevKit = {
  type: 'panos',
  harness,
  // Firewalls see sessions by IP, without processes: the demo's findings rest on ports, destinations and denies.
  demoSource: demoSource(
    'panos',
    'Palo Alto Networks PAN-OS (XML API traffic logs)',
    (scenario, secret) => startFakePanos({ scenario, apiKey: secret }),
    () => [`api_key: ${DEMO_SECRET}`],
  ),
};
