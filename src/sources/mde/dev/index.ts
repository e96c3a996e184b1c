import { DEMO_SECRET, demoSource } from '../../../dev/demo/demo-source.js';
import type { VendorDevKit } from '../../../dev/vendor-dev-kit.js';
import { startFakeMde } from './fake-mde-server.js';
import { harness } from './harness.js';

export const devKit: VendorDevKit = {
  type: 'mde',
  harness,
  demoSource: demoSource(
    'mde',
    'Microsoft Defender for Endpoint (Graph advanced hunting)',
    (scenario, secret) => startFakeMde({ scenario, tenantId: 'demo-tenant', clientId: 'demo-client', clientSecret: secret, ingestionDelayMs: 2_000 }),
    (url) => [`token_url: ${url}`, 'tenant_id: demo-tenant', 'client_id: demo-client', `client_secret: ${DEMO_SECRET}`],
  ),
};
