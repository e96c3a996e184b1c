import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export interface LocalRedis {
  url: string;
  /** True when this process started the server (and stops it on close). */
  owned: boolean;
  close(): Promise<void>;
}

export class RedisUnavailableError extends Error {}

async function answers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1_000, retryStrategy: () => null });
  // A refused connection is the answer here, not an error to report.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** A port nothing listens on right now, on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * The Redis the demo uses: REDIS_URL if set, else the one on 127.0.0.1:6379 if it answers, else a private
 * `redis-server` from PATH on a free port, keeping nothing on disk.
 */
export async function localRedis(
  configuredUrl: string | undefined,
  { standardUrl = 'redis://127.0.0.1:6379', serverBinary = 'redis-server' }: { standardUrl?: string; serverBinary?: string } = {},
): Promise<LocalRedis> {
  if (configuredUrl) return { url: configuredUrl, owned: false, close: async () => undefined };
  if (await answers(standardUrl)) return { url: standardUrl, owned: false, close: async () => undefined };

  const port = await freePort();
  const child: ChildProcess = spawn(serverBinary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const started = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(false));
    child.once('spawn', () => resolve(true));
  });
  if (!started) {
    throw new RedisUnavailableError(
      'No Redis answers on 127.0.0.1:6379 and redis-server is not on PATH: install one (apt-get install redis-server) or run `docker compose up -d redis`, or set REDIS_URL.',
    );
  }
  const url = `redis://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 50 && !(await answers(url)); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 100));
  return {
    url,
    owned: true,
    close: async () => {
      child.kill('SIGTERM');
    },
  };
}
