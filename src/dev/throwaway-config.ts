import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type AppConfig } from '../config/load.js';
import { TEST_REDIS_URL } from './throwaway-prefix.js';

export const TEST_TOKEN = 'soar-test-token-0123456789';
export const TEST_HMAC_SECRET = 'hmac-test-secret-0123456789abcdef';

/** Writes a containment-watch.yaml and loads it through the real loader, as a deployment would. */
export function testConfig(options: { prefix: string; yaml: string; env?: Record<string, string> }): AppConfig {
  const dir = mkdtempSync(join(tmpdir(), 'cw-test-'));
  const path = join(dir, 'containment-watch.yaml');
  writeFileSync(path, options.yaml);
  return loadConfig({
    REDIS_URL: TEST_REDIS_URL,
    PORT: '0',
    HOST: '127.0.0.1',
    CW_CONFIG: path,
    CW_PREFIX: options.prefix,
    WEBHOOK_TOKENS: `soar:${TEST_TOKEN}`,
    WEBHOOK_HMAC_SECRET: TEST_HMAC_SECRET,
    LOG_LEVEL: 'silent',
    ...options.env,
  });
}

/** Tests read the fake's telemetry as soon as it is served, and give up on a source at once, unless they say otherwise. */
const unlessGiven = (extra: string, field: string, value: string) => (new RegExp(`^\\s*${field}:`, 'm').test(extra) ? '' : `    ${field}: ${value}\n`);

export const mdeSourceYaml = (url: string, extra = '') => `  - id: mde-prod
    type: mde
    base_url: ${url}
    token_url: ${url}
    tenant_id: test-tenant
    client_id: test-client
    client_secret: test-secret
    lookback: 5s
${unlessGiven(extra, 'settle', '0s')}${unlessGiven(extra, 'settle_grace', '0s')}${extra}`;
