import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { freePort, onFreePorts } from './throwaway-redis.js';
import { patience, waitFor } from './wait.js';

/** Why the machine cannot run `binaries` (e.g. to start throwaway Redis servers), or undefined when it can. */
export function missingBinaries(...binaries: string[]): string | undefined {
  for (const binary of binaries) {
    if (spawnSync(binary, ['--version'], { stdio: 'ignore' }).error) return `${binary} is not on PATH (apt-get install redis-server openssl)`;
  }
  return undefined;
}

/** Starting six servers and a cluster can take a while on a loaded machine. */
const START_TIMEOUT_MS = patience(60_000);

/** A one-off client for asking a server how it is; never retries, so a probe of a dead server fails at once. */
async function ask<T>(port: number, command: (redis: Redis) => Promise<T>, options: RedisOptions = {}): Promise<T | undefined> {
  const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2_000, ...options });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await command(redis);
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

/** `field:value` lines of an INFO section or CLUSTER INFO. */
const infoField = (info: string | undefined, field: string): string | undefined =>
  info
    ?.split('\r\n')
    .find((line) => line.startsWith(`${field}:`))
    ?.slice(field.length + 1);

/** One redis-server (or Sentinel) process on a loopback port, in a directory of its own. */
export class RedisServerProcess {
  private child: ChildProcess | undefined;

  constructor(
    readonly port: number,
    private readonly args: string[],
  ) {}

  /** Starts it and waits until it answers PING (`probe` says how to authenticate, if it must). */
  async start(probe: RedisOptions = {}): Promise<void> {
    const child = spawn('redis-server', this.args, { stdio: 'ignore' });
    this.child = child;
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`redis-server on ${this.port} exited with ${child.exitCode}`);
        return (await ask(this.port, (redis) => redis.ping(), probe)) === 'PONG';
      },
      { timeoutMs: START_TIMEOUT_MS, everyMs: 50, what: `redis-server on port ${this.port}` },
    );
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGSTOP: it keeps its connections open and answers nothing, as a hung or partitioned host. `kill` still ends it. */
  pause(): void {
    if (this.running) this.child?.kill('SIGSTOP');
  }

  /** SIGKILL, as when a host dies; resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
}

const serverArgs = (port: number, dir: string, extra: string[] = []): string[] => [
  '--port',
  String(port),
  '--bind',
  '127.0.0.1',
  '--dir',
  dir,
  '--save',
  '',
  '--appendonly',
  'no',
  ...extra,
];

/** Whether a set of servers failed to start because one of them exited before answering (its port was taken). */
const anyExited = (set: { processes(): readonly RedisServerProcess[] }) => set.processes().some((server) => !server.running);

/** A single redis-server with the given extra arguments (e.g. ACL users), in a temporary directory. */
export async function startRedisServer(extra: string[], probe: RedisOptions = {}): Promise<{ port: number; close(): Promise<void> }> {
  const single = await onFreePorts(
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cw-redis-'));
      const port = await freePort();
      const server = new RedisServerProcess(port, serverArgs(port, dir, extra));
      return {
        port,
        processes: () => [server],
        async close() {
          await server.kill();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
    (started) => started.processes()[0]!.start(probe),
    { exited: anyExited, discard: (started) => started.close() },
  );
  return { port: single.port, close: () => single.close() };
}

/**
 * A master, one replica and three Sentinels on loopback, failing over within seconds (down-after 1 s). Sentinel
 * rewrites its configuration file, so each gets one of its own in the set's temporary directory.
 */
export class SentinelSet {
  readonly masterName = 'cw-test-master';
  readonly servers: RedisServerProcess[] = [];
  readonly sentinels: RedisServerProcess[] = [];

  private constructor(private readonly dir: string) {}

  static async start(): Promise<SentinelSet> {
    return onFreePorts(
      async () => new SentinelSet(mkdtempSync(join(tmpdir(), 'cw-sentinel-'))),
      (set) => set.boot(),
      { exited: anyExited, discard: (set) => set.close() },
    );
  }

  /** Every process of the set started so far. */
  processes(): readonly RedisServerProcess[] {
    return [...this.servers, ...this.sentinels];
  }

  /** REDIS_SENTINELS for the product. */
  get sentinelList(): string {
    return this.sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(',');
  }

  private async boot(): Promise<void> {
    const masterPort = await freePort();
    const replicaPort = await freePort();
    for (const [port, extra] of [
      [masterPort, []],
      [replicaPort, ['--replicaof', '127.0.0.1', String(masterPort)]],
    ] as const) {
      const dir = join(this.dir, String(port));
      mkdirSync(dir);
      const server = new RedisServerProcess(port, serverArgs(port, dir, [...extra]));
      this.servers.push(server);
      await server.start();
    }
    await waitFor(async () => infoField(await ask(replicaPort, (redis) => redis.info('replication')), 'master_link_status') === 'up', {
      timeoutMs: START_TIMEOUT_MS,
      what: 'the replica to sync with its master',
    });
    for (let index = 0; index < 3; index += 1) {
      const port = await freePort();
      const conf = join(this.dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${this.dir}`,
          `sentinel monitor ${this.masterName} 127.0.0.1 ${masterPort} 2`,
          `sentinel down-after-milliseconds ${this.masterName} 1000`,
          `sentinel failover-timeout ${this.masterName} 10000`,
          `sentinel parallel-syncs ${this.masterName} 1`,
          '',
        ].join('\n'),
      );
      const sentinel = new RedisServerProcess(port, [conf, '--sentinel']);
      this.sentinels.push(sentinel);
      await sentinel.start();
    }
    // A failover needs a majority of Sentinels that know each other and the replica (learned over hello messages).
    await waitFor(async () => (await Promise.all(this.sentinels.map((sentinel) => this.sentinelSees(sentinel.port)))).every(Boolean), {
      timeoutMs: START_TIMEOUT_MS,
      what: 'the Sentinels to discover each other and the replica',
    });
  }

  private async sentinelSees(port: number): Promise<boolean> {
    const fields = (await ask(port, (redis) => redis.call('SENTINEL', 'MASTER', this.masterName))) as string[] | undefined;
    if (!fields) return false;
    const field = (name: string) => fields[fields.indexOf(name) + 1];
    return field('num-other-sentinels') === '2' && field('num-slaves') === '1';
  }

  /** The port every Sentinel names as the master's. */
  async masterPort(): Promise<number | undefined> {
    const answers = await Promise.all(
      this.sentinels.map((sentinel) => ask(sentinel.port, (redis) => redis.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.masterName) as Promise<string[]>)),
    );
    const ports = new Set(answers.map((answer) => answer?.[1]));
    return ports.size === 1 && answers[0] ? Number(answers[0][1]) : undefined;
  }

  /** Kills the master (or with `pause`, stops it answering) and waits until every Sentinel names the promoted replica. */
  async killMaster({ pause = false }: { pause?: boolean } = {}): Promise<{ from: number; to: number }> {
    const from = await this.masterPort();
    const master = this.servers.find((server) => server.port === from);
    if (!master) throw new Error('no master to kill');
    if (pause) master.pause();
    else await master.kill();
    const to = await waitFor(
      async () => {
        const port = await this.masterPort();
        if (port === undefined || port === from) return undefined;
        const role = infoField(await ask(port, (redis) => redis.info('replication')), 'role');
        return role === 'master' ? port : undefined;
      },
      { timeoutMs: START_TIMEOUT_MS, what: 'the Sentinels to promote the replica' },
    );
    return { from: from!, to };
  }

  async close(): Promise<void> {
    for (const process of [...this.sentinels, ...this.servers]) await process.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Three masters and three replicas on loopback, created by `redis-cli --cluster create`, failing over within seconds. */
export class RedisClusterSet {
  readonly nodes: RedisServerProcess[] = [];

  private constructor(private readonly dir: string) {}

  static async start(): Promise<RedisClusterSet> {
    return onFreePorts(
      async () => new RedisClusterSet(mkdtempSync(join(tmpdir(), 'cw-cluster-'))),
      (cluster) => cluster.boot(),
      { exited: anyExited, discard: (cluster) => cluster.close() },
    );
  }

  /** Every node started so far. */
  processes(): readonly RedisServerProcess[] {
    return this.nodes;
  }

  /** REDIS_CLUSTER_NODES for the product: two seeds, as a deployment would give. */
  get seedList(): string {
    return this.nodes
      .slice(0, 2)
      .map((node) => `127.0.0.1:${node.port}`)
      .join(',');
  }

  private async boot(): Promise<void> {
    for (let index = 0; index < 6; index += 1) {
      const port = await freePort();
      // The bus port is chosen too: port + 10000, redis' default, may be taken or out of range.
      const busPort = await freePort();
      const dir = join(this.dir, String(port));
      mkdirSync(dir);
      const node = new RedisServerProcess(
        port,
        serverArgs(port, dir, ['--cluster-enabled', 'yes', '--cluster-port', String(busPort), '--cluster-config-file', join(dir, 'nodes.conf'), '--cluster-node-timeout', '1000']),
      );
      this.nodes.push(node);
      await node.start();
    }
    const create = spawn('redis-cli', ['--cluster', 'create', ...this.nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', '1', '--cluster-yes'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    create.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    create.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(create, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`redis-cli --cluster create failed:\n${output}`);
    await waitFor(async () => (await Promise.all(this.nodes.map((node) => this.nodeReady(node.port)))).every(Boolean), {
      timeoutMs: START_TIMEOUT_MS,
      what: 'every cluster node to report cluster_state:ok, with its replica in sync',
    });
  }

  private async nodeReady(port: number): Promise<boolean> {
    const info = await ask(port, (redis) => redis.call('CLUSTER', 'INFO') as Promise<string>);
    if (infoField(info, 'cluster_state') !== 'ok' || infoField(info, 'cluster_known_nodes') !== '6') return false;
    const replication = await ask(port, (redis) => redis.info('replication'));
    return infoField(replication, 'role') === 'master' ? infoField(replication, 'connected_slaves') === '1' : infoField(replication, 'master_link_status') === 'up';
  }

  /** The port of the live master serving `slot`, as a live node sees the cluster. */
  async masterOf(slot: number): Promise<number | undefined> {
    for (const node of this.nodes.filter((candidate) => candidate.running)) {
      const slots = (await ask(node.port, (redis) => redis.call('CLUSTER', 'SLOTS') as Promise<[number, number, [string, number, string]][]>)) ?? [];
      const range = slots.find(([first, last]) => first <= slot && slot <= last);
      const port = range?.[2][1];
      if (port !== undefined && this.nodes.some((candidate) => candidate.port === port && candidate.running)) return port;
    }
    return undefined;
  }

  /** The hash slot of a key (or of its `{tag}`). */
  async slotOf(key: string): Promise<number> {
    const slot = await ask(this.nodes[0]!.port, (redis) => redis.call('CLUSTER', 'KEYSLOT', key) as Promise<number>);
    if (slot === undefined) throw new Error('CLUSTER KEYSLOT failed');
    return slot;
  }

  /**
   * Kills the master serving `slot` and waits until its replica has taken over the slot and every live node
   * reports cluster_state:ok again.
   */
  async killMasterOf(slot: number): Promise<{ from: number; to: number }> {
    const from = await this.masterOf(slot);
    const master = this.nodes.find((node) => node.port === from);
    if (!master) throw new Error(`no master serves slot ${slot}`);
    await master.kill();
    const to = await waitFor(
      async () => {
        const port = await this.masterOf(slot);
        if (port === undefined || port === from) return undefined;
        const states = await Promise.all(
          this.nodes.filter((node) => node.running).map(async (node) => infoField(await ask(node.port, (redis) => redis.call('CLUSTER', 'INFO') as Promise<string>), 'cluster_state')),
        );
        return states.every((state) => state === 'ok') ? port : undefined;
      },
      { timeoutMs: START_TIMEOUT_MS, what: `a replica to take over slot ${slot}` },
    );
    return { from: from!, to };
  }

  async close(): Promise<void> {
    for (const node of this.nodes) await node.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A throwaway CA and a server certificate for `serverName`, made with openssl in a temporary directory. */
export function testCertificates(serverName: string): { dir: string; ca: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cw-tls-'));
  const file = (name: string) => join(dir, name);
  writeFileSync(file('san.ext'), `subjectAltName=DNS:${serverName}\n`);
  const steps = [
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '1', '-subj', '/CN=cw-test-ca'],
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', `/CN=${serverName}`],
    ['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('server.pem'), '-days', '1', '-extfile', file('san.ext')],
  ];
  for (const args of steps) {
    const run = spawnSync('openssl', args, { stdio: 'ignore' });
    if (run.error || run.status !== 0) throw new Error(`openssl ${args[0]} failed`);
  }
  return { dir, ca: file('ca.pem'), cert: file('server.pem'), key: file('server.key') };
}
