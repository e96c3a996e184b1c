import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baselinePolicyOf } from '../../src/baseline/settings.js';
import { ConfigError, loadConfig } from '../../src/config/load.js';

const yamlFile = (text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'cw-config-')), 'containment-watch.yaml');
  writeFileSync(path, text);
  return path;
};

const problemsOf = (env: NodeJS.ProcessEnv): string[] => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
};

const MDE = `sources:
  - id: mde-prod
    type: mde
    tenant_id: t
    client_id: c
    client_secret: \${MDE_SECRET}
`;

describe('configuration', () => {
  it('starts on embedded defaults with no file', () => {
    const config = loadConfig({});
    expect(config.env.redis).toEqual({ topology: 'single', address: { host: '127.0.0.1', port: 6379 }, db: 0, auth: {} });
    expect(config.env.PORT).toBe(8080);
    expect(config.defaults).toMatchObject({ durationMs: 86_400_000, pollIntervalMs: 60_000, baselineMs: 7 * 86_400_000 });
    expect(config.sources).toEqual([]);
  });

  it('a bad environment value stops start-up naming the variable', () => {
    const problems = problemsOf({ PORT: 'eighty', REDIS_URL: 'localhost:6379', WEBHOOK_TOKENS: 'soar' });
    expect(problems.join('\n')).toMatch(/^PORT: /m);
    expect(problems.join('\n')).toMatch(/^REDIS_URL: /m);
    expect(problems.join('\n')).toMatch(/^WEBHOOK_TOKENS: /m);
  });

  it('an empty variable counts as unset, as compose passes ${VAR:-}', () => {
    const config = loadConfig({ WEBHOOK_HMAC_SECRET: '', SLACK_BOT_TOKEN: '', PORT: '' });
    expect(config.env.WEBHOOK_HMAC_SECRET).toBeUndefined();
    expect(config.env.SLACK_BOT_TOKEN).toBeUndefined();
    expect(config.env.PORT).toBe(8080);
  });

  it('reads WEBHOOK_TOKENS as named tokens', () => {
    const config = loadConfig({ WEBHOOK_TOKENS: 'xsoar:0123456789abcdef0123, tines:fedcba9876543210fedc' });
    expect(config.env.WEBHOOK_TOKENS).toEqual([
      { name: 'xsoar', token: '0123456789abcdef0123', scopes: ['open', 'read', 'operate'], scoped: false },
      { name: 'tines', token: 'fedcba9876543210fedc', scopes: ['open', 'read', 'operate'], scoped: false },
    ]);
  });

  it('interpolates ${ENV} into YAML strings after parsing, so a secret cannot change the document', () => {
    const config = loadConfig({ CW_CONFIG: yamlFile(MDE), MDE_SECRET: 'abc"\n  - injected: true' });
    expect(config.sources).toHaveLength(1);
    expect((config.sources[0] as unknown as { client_secret: string }).client_secret).toBe('abc"\n  - injected: true');
  });

  it('a missing ${ENV} names the YAML path and the variable', () => {
    expect(problemsOf({ CW_CONFIG: yamlFile(MDE) })).toEqual(['sources.0.client_secret: environment variable MDE_SECRET is not set']);
  });

  it('a typo in a source names the source index and the field', () => {
    const problems = problemsOf({ CW_CONFIG: yamlFile(`${MDE}    max_hosts_per_qery: 50\n`), MDE_SECRET: 's' });
    expect(problems.some((problem) => problem.startsWith('sources.0'))).toBe(true);
    expect(problems.join('\n')).toContain('max_hosts_per_qery');
  });

  it('an unknown source type lists the known ones', () => {
    const problems = problemsOf({ CW_CONFIG: yamlFile('sources:\n  - id: x\n    type: carbonblack\n    base_url: http://127.0.0.1:1\n') });
    expect(problems).toEqual([expect.stringMatching(/^sources\.0\.type: unknown source type "carbonblack" \(known: .*mde/)]);
  });

  it('a bad default names its YAML path', () => {
    expect(problemsOf({ CW_CONFIG: yamlFile('defaults:\n  duration: forever\n') })).toEqual([expect.stringMatching(/^defaults\.duration: /)]);
  });

  it('baseline reuse and estate prevalence have working defaults, and a bad value names its YAML path', () => {
    expect(baselinePolicyOf(loadConfig({}).file.baselines)).toEqual({
      reuseForMs: 86_400_000,
      staleAfterMs: 86_400_000,
      prevalence: { enabled: true, refreshEveryMs: 86_400_000, windowMs: 7 * 86_400_000, maxDestinations: 20_000, minDestinationHosts: 2 },
    });
    const off = loadConfig({ CW_CONFIG: yamlFile('baselines:\n  reuse: false\n  prevalence:\n    refresh_every: 6h\n') });
    expect(baselinePolicyOf(off.file.baselines)).toMatchObject({ reuseForMs: 0, prevalence: { refreshEveryMs: 6 * 3_600_000 } });
    expect(problemsOf({ CW_CONFIG: yamlFile('baselines:\n  prevalence:\n    window: 5s\n    min_destination_hosts: 1\n') })).toEqual([
      expect.stringMatching(/^baselines\.prevalence\.window: /),
      expect.stringMatching(/^baselines\.prevalence\.min_destination_hosts: /),
    ]);
  });

  it('an unknown top-level section is rejected', () => {
    expect(problemsOf({ CW_CONFIG: yamlFile('sorces: []\n') })).toEqual([expect.stringMatching(/sorces/)]);
  });

  it('duplicate source ids are rejected', () => {
    const problems = problemsOf({
      CW_CONFIG: yamlFile(`${MDE}  - id: mde-prod\n    type: mde\n    tenant_id: t\n    client_id: c\n    client_secret: s\n`),
      MDE_SECRET: 's',
    });
    expect(problems).toEqual(['sources.1.id: duplicate source id "mde-prod"']);
  });

  it('unreadable YAML names the file', () => {
    const path = yamlFile('sources: [\n');
    expect(problemsOf({ CW_CONFIG: path })[0]).toContain(path);
  });
});

describe('Redis deployment (REDIS_*)', () => {
  const pemFile = (text: string) => {
    const path = join(mkdtempSync(join(tmpdir(), 'cw-ca-')), 'ca.pem');
    writeFileSync(path, text);
    return path;
  };

  it('a single node from REDIS_URL: host, port, database, ACL user and password from the URL, TLS from rediss://', () => {
    const { redis } = loadConfig({ REDIS_URL: 'rediss://cw%40svc:p%3Ass@redis.internal:6380/2' }).env;
    expect(redis).toEqual({
      topology: 'single',
      address: { host: 'redis.internal', port: 6380 },
      db: 2,
      auth: { username: 'cw@svc', password: 'p:ss' },
      tls: {},
    });
  });

  it('a Sentinel set: addresses (IPv6 in brackets), master name, the sentinels own ACL user, TLS with a CA file', () => {
    const ca = pemFile('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const { redis } = loadConfig({
      REDIS_SENTINELS: 'sentinel-a:26379, [::1]:26380',
      REDIS_SENTINEL_NAME: 'cw-master',
      REDIS_SENTINEL_USERNAME: 'sentinel-user',
      REDIS_SENTINEL_PASSWORD: 'sentinel-pass',
      REDIS_USERNAME: 'cw',
      REDIS_PASSWORD: 'secret',
      REDIS_TLS: 'true',
      REDIS_TLS_CA: ca,
    }).env;
    expect(redis).toEqual({
      topology: 'sentinel',
      sentinels: [
        { host: 'sentinel-a', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      masterName: 'cw-master',
      sentinelAuth: { username: 'sentinel-user', password: 'sentinel-pass' },
      auth: { username: 'cw', password: 'secret' },
      tls: { ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' },
    });
  });

  it('a cluster from its seed nodes, with the certificate name a managed cluster mode needs', () => {
    const { redis } = loadConfig({
      REDIS_CLUSTER_NODES: 'clustercfg.cw.abc123.use1.cache.amazonaws.com:6379',
      REDIS_PASSWORD: 'token',
      REDIS_TLS: 'yes',
      REDIS_TLS_SERVERNAME: 'cw.redis.cache.windows.net',
    }).env;
    expect(redis).toEqual({
      topology: 'cluster',
      nodes: [{ host: 'clustercfg.cw.abc123.use1.cache.amazonaws.com', port: 6379 }],
      auth: { password: 'token' },
      tls: { servername: 'cw.redis.cache.windows.net' },
    });
  });

  it('two topologies at once is an error naming the second variable', () => {
    expect(problemsOf({ REDIS_URL: 'redis://a:6379', REDIS_CLUSTER_NODES: 'b:6379' })).toEqual([
      'REDIS_CLUSTER_NODES: conflicts with REDIS_URL: set exactly one of REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER_NODES',
    ]);
    expect(problemsOf({ REDIS_SENTINELS: 'a:26379', REDIS_SENTINEL_NAME: 'm', REDIS_CLUSTER_NODES: 'b:6379' })[0]).toMatch(/^REDIS_CLUSTER_NODES: conflicts with REDIS_SENTINELS/);
  });

  it('each conflicting or incomplete setting names its variable', () => {
    const cases: [NodeJS.ProcessEnv, RegExp][] = [
      [{ REDIS_SENTINELS: 'a:26379' }, /^REDIS_SENTINEL_NAME: is required/],
      [{ REDIS_SENTINEL_NAME: 'm' }, /^REDIS_SENTINEL_NAME: is only used with REDIS_SENTINELS/],
      [{ REDIS_URL: 'redis://:inurl@a:6379', REDIS_PASSWORD: 'also' }, /^REDIS_PASSWORD: REDIS_URL already holds a password/],
      [{ REDIS_URL: 'redis://u:p@a:6379', REDIS_USERNAME: 'v' }, /^REDIS_USERNAME: REDIS_URL already names a user/],
      [{ REDIS_USERNAME: 'cw' }, /^REDIS_USERNAME: an ACL user needs REDIS_PASSWORD/],
      [{ REDIS_URL: 'rediss://a:6379', REDIS_TLS: 'false' }, /^REDIS_TLS: is false but REDIS_URL is rediss:\/\//],
      [{ REDIS_TLS_CA: '/etc/ssl/ca.pem' }, /^REDIS_TLS_CA: TLS is off/],
      [{ REDIS_TLS: 'true', REDIS_TLS_CA: '/nonexistent/ca.pem' }, /^REDIS_TLS_CA: cannot read \/nonexistent\/ca\.pem: ENOENT/],
      [{ REDIS_CLUSTER_NODES: 'node-a' }, /^REDIS_CLUSTER_NODES: "node-a" is not host:port/],
      [{ REDIS_SENTINELS: 'a:99999', REDIS_SENTINEL_NAME: 'm' }, /^REDIS_SENTINELS: "a:99999" is not host:port/],
      [{ REDIS_TLS: 'maybe' }, /^REDIS_TLS: /],
      [{ REDIS_URL: 'redis://a:6379/x' }, /^REDIS_URL: the path must be a database number/],
    ];
    for (const [env, expected] of cases) expect(problemsOf(env).join('\n'), JSON.stringify(env)).toMatch(expected);
  });
});
