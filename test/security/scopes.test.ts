import axios, { type AxiosResponse } from 'axios';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../src/api/openapi.js';
import { silentLogger } from '../../src/lib/logger.js';
import { startApi, type ApiService } from '../../src/runtime/services.js';
import { mdeSourceYaml, testConfig } from '../helpers/config.js';
import { dropPrefix, uniquePrefix } from '../helpers/redis.js';

type Scope = 'open' | 'read' | 'operate';

/**
 * Which scope each endpoint needs, written down here and not read from the product: a token may call an endpoint
 * exactly when it holds that scope. `ok` is the answer of an allowed call (the allow-rule does not exist: 404).
 */
const ENDPOINTS: { method: string; path: string; scope: Scope; ok: number; body?: (caller: string) => unknown }[] = [
  { method: 'POST', path: '/v1/containments', scope: 'open', ok: 202, body: (caller) => containment(`INC-${caller}`) },
  { method: 'GET', path: '/v1/watches', scope: 'read', ok: 200 },
  { method: 'GET', path: '/v1/watches/{id}', scope: 'read', ok: 200 },
  { method: 'GET', path: '/v1/watches/{id}/findings', scope: 'read', ok: 200 },
  { method: 'GET', path: '/v1/watches/{id}/report', scope: 'read', ok: 200 },
  { method: 'POST', path: '/v1/watches/{id}/extend', scope: 'operate', ok: 200, body: () => ({ by: '1h' }) },
  { method: 'GET', path: '/v1/allow-rules', scope: 'read', ok: 200 },
  { method: 'DELETE', path: '/v1/allow-rules/{id}', scope: 'operate', ok: 404 },
  // Last: it ends the watch the others act on.
  { method: 'POST', path: '/v1/watches/{id}/stop', scope: 'operate', ok: 202, body: () => ({ reason: 'scope test' }) },
];

const TOKENS: { name: string; scopes: Scope[]; token: string }[] = [
  { name: 'opener', scopes: ['open'], token: 'token-opener-0123456789' },
  { name: 'reader', scopes: ['read'], token: 'token-reader-0123456789' },
  { name: 'operator', scopes: ['operate'], token: 'token-operator-0123456789' },
  { name: 'soar', scopes: ['open', 'operate'], token: 'token-soar-0123456789ab' },
  { name: 'nothing-else', scopes: ['read', 'operate'], token: 'token-readop-0123456789' },
];
const ADMIN = 'token-admin-0123456789ab';

function containment(incident: string) {
  return {
    incident_id: incident,
    blocked: [{ type: 'ip', value: '203.0.113.7' }],
    hosts: [{ hostname: 'FIN-WS-042', ip: '10.20.1.42' }],
    watch: { duration: '1h', poll_interval: '1m', baseline: '7d' },
  };
}

describe('every token scope on every endpoint', () => {
  const prefix = uniquePrefix('scopes');
  let api: ApiService;

  const send = (token: string, method: string, path: string, body?: unknown): Promise<AxiosResponse> =>
    axios.request({ method, url: `${api.url}${path}`, data: body, headers: { Authorization: `Bearer ${token}` }, validateStatus: () => true });

  const openWatch = async (incident: string): Promise<string> => {
    const response = await send(ADMIN, 'POST', '/v1/containments', containment(incident));
    expect(response.status).toBe(202);
    return response.data.watch_id as string;
  };

  beforeAll(async () => {
    const tokens = [...TOKENS.map(({ name, scopes, token }) => `${name}[${scopes.join('+')}]:${token}`), `admin:${ADMIN}`].join(',');
    const config = testConfig({ prefix, yaml: `sources:\n${mdeSourceYaml('http://127.0.0.1:9')}`, env: { WEBHOOK_TOKENS: tokens, WEBHOOK_RATE_LIMIT_PER_MINUTE: '1000' } });
    api = await startApi(config, silentLogger());
  });

  afterAll(async () => {
    await api.close();
    await dropPrefix(prefix);
  });

  it('the table names every authenticated endpoint of the OpenAPI document, with the scope it documents', () => {
    const documented = Object.entries((openApiDocument() as { paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>> }).paths)
      .flatMap(([path, operations]) => Object.entries(operations).map(([method, operation]) => ({ method: method.toUpperCase(), path, security: operation.security })))
      .filter((operation) => operation.path.startsWith('/v1/'));
    expect(documented.map(({ method, path, security }) => ({ method, path, scope: security?.[0]?.bearer?.[0] })).sort((a, b) => `${a.method} ${a.path}`.localeCompare(`${b.method} ${b.path}`))).toEqual(
      ENDPOINTS.map(({ method, path, scope }) => ({ method, path, scope })).sort((a, b) => `${a.method} ${a.path}`.localeCompare(`${b.method} ${b.path}`)),
    );
  });

  for (const caller of TOKENS) {
    it(`${caller.name} (${caller.scopes.join(', ')}) may call exactly the endpoints of its scopes`, async () => {
      const watchId = await openWatch(`INC-TARGET-${caller.name}`);
      const outcomes: { endpoint: string; allowed: boolean; status: number; code?: string }[] = [];
      for (const endpoint of ENDPOINTS) {
        const path = endpoint.path.replace('{id}', endpoint.path.startsWith('/v1/allow-rules') ? 'rule-that-does-not-exist' : watchId);
        const response = await send(caller.token, endpoint.method, path, endpoint.body?.(caller.name));
        outcomes.push({ endpoint: `${endpoint.method} ${endpoint.path}`, allowed: caller.scopes.includes(endpoint.scope), status: response.status, code: response.data?.code });
      }
      expect(outcomes).toEqual(
        ENDPOINTS.map((endpoint) => {
          const allowed = caller.scopes.includes(endpoint.scope);
          return {
            endpoint: `${endpoint.method} ${endpoint.path}`,
            allowed,
            status: allowed ? endpoint.ok : 403,
            code: allowed ? (endpoint.ok === 404 ? 'request.not_found' : undefined) : 'request.forbidden',
          };
        }),
      );

      const target = (await send(ADMIN, 'GET', `/v1/watches/${watchId}`)).data;
      const canOperate = caller.scopes.includes('operate');
      expect(target.audit.filter((entry: { action: string }) => ['extend', 'stop'].includes(entry.action))).toEqual(
        canOperate
          ? [expect.objectContaining({ actor: caller.name, scope: 'operate', action: 'extend' }), expect.objectContaining({ actor: caller.name, scope: 'operate', action: 'stop' })]
          : [],
      );
      const opened = (await send(ADMIN, 'GET', `/v1/watches?state=all&incident=INC-${caller.name}`)).data.watches;
      expect(opened.map((watch: { opened_by: string; audit: { scope?: string }[] }) => [watch.opened_by, watch.audit[0]?.scope])).toEqual(
        caller.scopes.includes('open') ? [[caller.name, 'open']] : [],
      );
    });
  }

  it('a refusal names the scope needed and the scopes held', async () => {
    const response = await send('token-reader-0123456789', 'POST', '/v1/watches/w-any/stop', { reason: 'x' });
    expect(response.status).toBe(403);
    expect(response.data).toMatchObject({ error: 'forbidden', code: 'request.forbidden', retry: 'terminal' });
    expect(response.data.message).toBe('POST /v1/watches/:id/stop needs the operate scope; reader has read');
  });

  it('a token listed without scopes keeps every scope (as before scopes existed)', async () => {
    const watchId = await openWatch('INC-ADMIN');
    expect((await send(ADMIN, 'GET', `/v1/watches/${watchId}`)).status).toBe(200);
    expect((await send(ADMIN, 'POST', `/v1/watches/${watchId}/extend`, { by: '1h' })).status).toBe(200);
  });
});
