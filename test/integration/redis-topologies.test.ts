import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import axios from 'axios';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Finding } from '../../src/contracts/finding.js';
import { Redis } from 'ioredis';
import { createRedisConnection } from '../../src/lib/redis.js';
import { TEST_TOKEN } from '../helpers/config.js';
import { Pipeline, SLACK_CHANNEL } from '../helpers/pipeline.js';
import { missingBinaries, RedisClusterSet, SentinelSet, startRedisServer, testCertificates } from '../helpers/redis-topologies.js';
import { keptLogger } from '../helpers/kept-logger.js';
import { channelStory, findingIdOf } from '../helpers/slack-posts.js';
import { freePort } from '../helpers/throwaway-redis.js';
import { WAIT_MS, waitFor } from '../helpers/wait.js';

const AUTH = { Authorization: `Bearer ${TEST_TOKEN}` };

const missing = missingBinaries('redis-server', 'redis-cli');
if (missing) console.warn(`Redis topology tests skipped: ${missing}`);
const missingOpenssl = missingBinaries('openssl');
if (missingOpenssl) console.warn(`Redis TLS test skipped: ${missingOpenssl}`);

/** Long enough that the failover (a few seconds after the first finding) lands mid-window, with polls after it. */
const WINDOW = { duration: '30s', poll_interval: '1s', baseline: '7d' };

/**
 * Runs the fallback scenario through the whole product on `env`'s Redis, calls `failOver` once the first finding
 * reached Slack (the watch still open), and checks the watch reaches its verdict with every finding exactly once, in Redis and in Slack.
 */
async function watchSurvivesFailover(pipeline: Pipeline, logLines: readonly string[], failOver: () => Promise<void>): Promise<void> {
  const opened = await pipeline.send(pipeline.request({ watch: WINDOW }));
  expect(opened.status).toBe(202);
  const watchId = opened.data.watch_id as string;
  await waitFor(async () => channelStory(pipeline.slack, SLACK_CHANNEL).findingReplies.length > 0, { what: 'a first finding' });
  expect((await pipeline.watch(watchId)).state).toBe('watching');

  // Read the watch through the API all through the failover: it may refuse (503) while it reconnects, never fail.
  const statuses = new Set<number>();
  let failedOver = false;
  const readWatch = async () => (await axios.get(`${pipeline.api.url}/v1/watches/${watchId}`, { headers: AUTH, validateStatus: () => true })).status;
  const reader = (async () => {
    while (!failedOver) statuses.add(await readWatch());
  })();
  await failOver();
  failedOver = true;
  await reader;
  // A failure says what the API answered last and what its readiness and logs said about its connections.
  let lastAnswer = '';
  await waitFor(
    async () => {
      const status = await readWatch();
      const ready = await axios.get(`${pipeline.api.url}/readyz`, { validateStatus: () => true });
      lastAnswer = `last answer ${status}; /readyz ${ready.status} ${JSON.stringify(ready.data.checks)}`;
      return status === 200;
    },
    { what: 'the API to answer again' },
  ).catch((error: Error) => {
    throw new Error(`${error.message} (${lastAnswer})\nlast log lines:\n${logLines.slice(-40).join('')}`);
  });
  expect([...statuses].filter((status) => status !== 200 && status !== 503)).toEqual([]);

  const view = await pipeline.closed(watchId, WAIT_MS);
  expect(view.verdict).toBe('breached');
  const { findings } = await pipeline.get<{ findings: Finding[] }>(`/v1/watches/${watchId}/findings`);
  const tuples = findings.map((finding) => [finding.host, finding.process.name, finding.dst.ip, finding.dst.port, finding.protocol].join('|'));
  expect(tuples.length).toBe(new Set(tuples).size);
  expect(findings.filter((finding) => finding.process.name.toLowerCase() === 'rundll32.exe')).toHaveLength(1);
  const retries = findings.filter((finding) => finding.kind.includes('blocked_retry'));
  expect(retries).toHaveLength(1);
  // Every blocked attempt of the window counted once: none lost in the failover, none applied twice.
  const truth = pipeline.scenario
    .connections(new Date(Date.parse(view.blocked_at)), new Date(view.expires_at))
    .filter((connection) => connection.host.hostname === 'FIN-WS-042' && connection.dst.ip === '203.0.113.7');
  expect(retries[0]!.count).toBe(truth.length);

  const story = channelStory(pipeline.slack, SLACK_CHANNEL);
  expect(story.statusMessages).toHaveLength(1);
  expect(story.verdicts).toHaveLength(1);
  expect(story.findingReplies.map(findingIdOf).sort()).toEqual(findings.map((finding) => finding.id).sort());
}

describe.skipIf(missing !== undefined)('Redis deployments, for real', () => {
  let pipeline: Pipeline | undefined;
  afterEach(async () => {
    await pipeline?.close();
    pipeline = undefined;
  });

  describe('Sentinel: a master, a replica and three Sentinels', () => {
    let sentinels: SentinelSet;
    beforeAll(async () => {
      sentinels = await SentinelSet.start();
    });
    afterAll(async () => {
      await sentinels?.close();
    });

    it('a watch whose master is killed mid-window follows the promoted replica and reports every finding once', async () => {
      const { logger, lines } = keptLogger({ limit: 200 });
      pipeline = await Pipeline.start({
        scenario: 'fallback',
        fallbackAfterMs: 1_000,
        logger,
        env: { REDIS_URL: '', REDIS_SENTINELS: sentinels.sentinelList, REDIS_SENTINEL_NAME: sentinels.masterName },
      });
      const before = await sentinels.masterPort();
      await watchSurvivesFailover(pipeline, lines, async () => {
        const { from, to } = await sentinels.killMaster();
        expect(from).toBe(before);
        expect(to).not.toBe(from);
      });
    });
  });

  describe('Sentinel: every connection follows a failover', () => {
    /** Enough connections that one reconnecting just when the Sentinels announce the new master is all but certain. */
    const CONNECTIONS = 60;
    let sentinels: SentinelSet | undefined;
    const clients: Redis[] = [];
    afterEach(async () => {
      for (const client of clients.splice(0)) client.disconnect();
      await sentinels?.close();
      sentinels = undefined;
    });

    /** The product's connections, API's and workers' alike, each written to once the master answers. */
    const connectAll = async (set: SentinelSet): Promise<Redis[]> => {
      const { redis } = loadConfig({ REDIS_URL: '', REDIS_SENTINELS: set.sentinelList, REDIS_SENTINEL_NAME: set.masterName }).env;
      for (let index = 0; index < CONNECTIONS; index += 1) {
        const client = createRedisConnection(redis, index % 2 === 0 ? 'api' : 'worker');
        client.on('error', () => undefined);
        clients.push(client);
      }
      await Promise.all(clients.map((client, index) => client.set(`{failover}:probe-${index}`, 'before')));
      return clients;
    };

    /** Every connection ready again and writing to the promoted replica; none given up for good. */
    const allFollowed = async (to: number): Promise<void> => {
      await waitFor(async () => clients.every((client) => client.status === 'ready' || client.status === 'end'), { what: 'every connection to settle' });
      expect(clients.filter((client) => client.status === 'end')).toHaveLength(0);
      // A connection still on a hung master never answers: give up on it after the usual wait, saying so.
      let timer: NodeJS.Timeout | undefined;
      const stuck = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error('a connection still writes to the old master')), WAIT_MS);
      });
      try {
        await Promise.race([Promise.all(clients.map((client, index) => client.set(`{failover}:probe-${index}`, 'after'))), stuck]);
      } finally {
        clearTimeout(timer);
      }
      const promoted = new Redis({ host: '127.0.0.1', port: to });
      try {
        expect(await promoted.mget(clients.map((_client, index) => `{failover}:probe-${index}`))).toEqual(clients.map(() => 'after'));
      } finally {
        promoted.disconnect();
      }
    };

    it('a killed master: every connection reconnects to the promoted replica, none is left closed', async () => {
      sentinels = await SentinelSet.start();
      await connectAll(sentinels);
      const { to } = await sentinels.killMaster();
      await allFollowed(to);
    });

    it('a master that hangs with its connections open: every connection leaves it for the promoted replica', async () => {
      sentinels = await SentinelSet.start();
      await connectAll(sentinels);
      const { to } = await sentinels.killMaster({ pause: true });
      await allFollowed(to);
    });
  });

  describe('Cluster: three masters, three replicas', () => {
    let cluster: RedisClusterSet;
    beforeAll(async () => {
      cluster = await RedisClusterSet.start();
    });
    afterAll(async () => {
      await cluster?.close();
    });

    it("a watch whose keys' master is killed mid-window follows the replica that takes the slot over and reports every finding once", async () => {
      const { logger, lines } = keptLogger({ limit: 200 });
      pipeline = await Pipeline.start({ scenario: 'fallback', fallbackAfterMs: 1_000, logger, env: { REDIS_URL: '', REDIS_CLUSTER_NODES: cluster.seedList } });
      const slot = await cluster.slotOf(`{${pipeline.prefix}}`);
      await watchSurvivesFailover(pipeline, lines, async () => {
        const { from, to } = await cluster.killMasterOf(slot);
        expect(to).not.toBe(from);
      });
    });
  });

  describe('ACL user and password', () => {
    const PASSWORD = 'acl-test-password-0123';
    let server: Awaited<ReturnType<typeof startRedisServer>>;
    const clients: Redis[] = [];
    beforeAll(async () => {
      // The default user is off: only the ACL user gets in.
      server = await startRedisServer(['--user', 'default', 'off', '--user', 'cw', 'on', `>${PASSWORD}`, '~*', '&*', '+@all'], { username: 'cw', password: PASSWORD });
    });
    afterAll(async () => {
      for (const client of clients) client.disconnect();
      await server?.close();
    });

    const connect = (env: NodeJS.ProcessEnv): Redis => {
      const client = createRedisConnection(loadConfig(env).env.redis, 'api', { retryStrategy: () => null });
      client.on('error', () => undefined);
      clients.push(client);
      return client;
    };

    it('REDIS_USERNAME and REDIS_PASSWORD, or the same in the URL, log in as the ACL user', async () => {
      for (const env of [
        { REDIS_URL: `redis://127.0.0.1:${server.port}`, REDIS_USERNAME: 'cw', REDIS_PASSWORD: PASSWORD },
        { REDIS_URL: `redis://cw:${PASSWORD}@127.0.0.1:${server.port}` },
      ]) {
        const client = connect(env);
        expect(await client.call('ACL', 'WHOAMI')).toBe('cw');
        expect(await client.set('{acl}:probe', 'ok')).toBe('OK');
      }
    });

    it('a wrong password is refused by the server', async () => {
      const client = createRedisConnection(loadConfig({ REDIS_URL: `redis://127.0.0.1:${server.port}`, REDIS_USERNAME: 'cw', REDIS_PASSWORD: 'wrong-password' }).env.redis, 'api', {
        retryStrategy: () => null,
      });
      const errors: Error[] = [];
      client.on('error', (error: Error) => errors.push(error));
      clients.push(client);
      const error = await waitFor(async () => errors[0], { what: 'the refusal' });
      expect(error.message).toMatch(/^WRONGPASS/);
    });
  });

  describe.skipIf(missingOpenssl !== undefined)('TLS', () => {
    const SERVER_NAME = 'redis.cw.test';
    let certificates: ReturnType<typeof testCertificates>;
    let server: Awaited<ReturnType<typeof startRedisServer>>;
    let tlsPort: number;
    const clients: Redis[] = [];
    beforeAll(async () => {
      certificates = testCertificates(SERVER_NAME);
      tlsPort = await freePort();
      // TLS only: the plain port is off, so a client that does not speak TLS gets nowhere.
      server = await startRedisServer(
        ['--port', '0', '--tls-port', String(tlsPort), '--tls-cert-file', certificates.cert, '--tls-key-file', certificates.key, '--tls-ca-cert-file', certificates.ca, '--tls-auth-clients', 'no'],
        { port: tlsPort, tls: { ca: readFileSync(certificates.ca), servername: SERVER_NAME } },
      );
    });
    afterAll(async () => {
      for (const client of clients) client.disconnect();
      await server?.close();
      if (certificates) rmSync(certificates.dir, { recursive: true, force: true });
    });

    const connect = (env: NodeJS.ProcessEnv): Redis => {
      const client = createRedisConnection(loadConfig(env).env.redis, 'api', { retryStrategy: () => null });
      clients.push(client);
      return client;
    };

    it('rediss:// with REDIS_TLS_CA and REDIS_TLS_SERVERNAME verifies the server by the name on its certificate', async () => {
      const client = connect({ REDIS_URL: `rediss://127.0.0.1:${tlsPort}`, REDIS_TLS_CA: certificates.ca, REDIS_TLS_SERVERNAME: SERVER_NAME });
      client.on('error', () => undefined);
      expect(await client.ping()).toBe('PONG');
    });

    it('without the server name, a certificate that does not name 127.0.0.1 is refused', async () => {
      const client = connect({ REDIS_URL: `redis://127.0.0.1:${tlsPort}`, REDIS_TLS: 'true', REDIS_TLS_CA: certificates.ca });
      const [error] = (await once(client, 'error')) as [NodeJS.ErrnoException];
      expect(error.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    });
  });
});
