import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { waitFor } from './wait.js';

/** A loopback port nothing listens on now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/** Sets of ports tried before a start is given up. */
const START_ATTEMPTS = 3;

/**
 * Creates and boots servers on ports found free, again on fresh ports when one of them exited before answering: a
 * port found free can be taken by another process (any outgoing connection may be given it) before its server binds
 * it. Any other failure, or a third early exit, is thrown.
 */
export async function onFreePorts<T>(
  create: () => Promise<T>,
  boot: (created: T) => Promise<void>,
  { exited, discard }: { exited: (created: T) => boolean; discard: (created: T) => Promise<void> },
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    const created = await create();
    try {
      await boot(created);
      return created;
    } catch (error) {
      const portTaken = exited(created);
      await discard(created);
      if (!portTaken || attempt >= START_ATTEMPTS) throw error;
    }
  }
}

/**
 * A redis-server of a test's own on a loopback port: a test may kill, pause and restart it (the shared Redis of the
 * suite is never touched). Without persistence by default; with `aof`, every write is fsynced to an append-only file
 * in a directory of its own (as the README asks of production), which a restart replays.
 */
export class ThrowawayRedis {
  private process: ChildProcess | undefined;
  private readonly dir: string | undefined;

  private constructor(
    readonly port: number,
    aof: boolean,
  ) {
    this.dir = aof ? mkdtempSync(join(tmpdir(), 'cw-redis-aof-')) : undefined;
  }

  static async start({ aof = false }: { aof?: boolean } = {}): Promise<ThrowawayRedis> {
    return onFreePorts(
      async () => new ThrowawayRedis(await freePort(), aof),
      (redis) => redis.start(),
      { exited: (redis) => redis.process === undefined || redis.process.exitCode !== null, discard: (redis) => redis.remove() },
    );
  }

  private get persistenceArgs(): string[] {
    return this.dir === undefined
      ? ['--save', '', '--appendonly', 'no']
      : ['--dir', this.dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction'];
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts (or restarts) the server on its port and waits until it answers PING. */
  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', ...this.persistenceArgs], { stdio: 'ignore' });
    this.process = child;
    const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`redis-server on ${this.port} exited with ${child.exitCode}`);
          try {
            if (probe.status !== 'ready') await probe.connect();
            return (await probe.ping()) === 'PONG';
          } catch {
            probe.disconnect();
            return false;
          }
        },
        { everyMs: 25, what: `redis-server on port ${this.port}` },
      );
    } finally {
      probe.disconnect();
    }
  }

  /** SIGSTOP: the server keeps its connections open but answers nothing, as a hung or partitioned host. */
  pause(): void {
    this.process?.kill('SIGSTOP');
  }

  resume(): void {
    this.process?.kill('SIGCONT');
  }

  /** Kills the server and removes its append-only file, if it has one. */
  async remove(): Promise<void> {
    await this.kill();
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
  }

  /** SIGKILL: no goodbye to its clients, as when a host or container dies. Resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    child.kill('SIGCONT');
    await exited;
  }
}
