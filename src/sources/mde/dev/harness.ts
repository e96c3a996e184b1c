import { startFakeMde, type ScriptedResponse } from './fake-mde-server.js';
import type { SimHost } from '../../../dev/scenario/index.js';
import type { ConnectorHarness, VendorFailure } from '../../../dev/conformance-harness.js';

const SCRIPTED: Record<VendorFailure['kind'], (failure: VendorFailure) => ScriptedResponse> = {
  unauthorized: () => ({ status: 401, code: 'InvalidAuthenticationToken', message: 'Access token validation failure.' }),
  rate_limited: (failure) => ({ status: 429, retryAfterSeconds: failure.kind === 'rate_limited' ? failure.retryAfterSeconds : 1 }),
  server_error: () => ({ status: 500 }),
  timeout: () => ({ hangMs: 3_000 }),
  garbage: () => ({ body: 'garbage' }),
  truncated: () => ({ body: 'truncated' }),
};

export const harness: ConnectorHarness = {
  type: 'mde',
  matchesBy: 'hostname',
  deviceIdOf: (host: SimHost) => host.device_id,
  destinationNames: true,
  // InitiatingProcessParentFileName and InitiatingProcessCreationTime; DeviceNetworkEvents has no parent path column.
  processLineage: { parentName: true, parentPath: false, startedAtResolutionMs: 1 },
  async start(scenario, { pageSize, ingestionDelayMs }) {
    const fake = await startFakeMde({ scenario, ingestionDelayMs, tenantId: 'conformance', clientId: 'client', clientSecret: 'secret' });
    return {
      fake: {
        url: fake.url,
        failNext: (...failures) => fake.failNext(...failures.map((failure) => SCRIPTED[failure.kind](failure))),
        requestCount: () => fake.requests.length,
        queriedHostNames: () =>
          fake.requests.flatMap((request) => (request.query?.hosts ? [...request.query.hosts.deviceNames, ...request.query.hosts.shortNames] : [])),
        close: () => fake.close(),
      },
      config: {
        id: 'mde-conformance',
        type: 'mde',
        base_url: fake.url,
        token_url: fake.url,
        tenant_id: 'conformance',
        client_id: 'client',
        client_secret: 'secret',
        page_size: pageSize,
        timeout: '1s',
        max_retries: 2,
      },
    };
  },
};
