import type { EventEmitter } from 'node:events';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisAuth, RedisDeployment, RedisTls } from './redis-deployment.js';
import { followFailovers } from './sentinel-failover.js';
import type { Logger } from './logger.js';

/**
 * What a connection is for. `worker`: workers and BullMQ's blocking clients wait for Redis forever
 * (`maxRetriesPerRequest: null`, as BullMQ requires) and ride out a failover. `api`: connections used from HTTP
 * handlers, the API's BullMQ `Queue` included (it only adds jobs, never blocks): a command waits for at most one
 * reconnection attempt, then fails with ioredis' `MaxRetriesPerRequestError`, so the webhook answers 503 instead
 * of hanging until the SOAR times out. Commands issued while reconnecting wait in the offline queue for that
 * attempt (a restart of a few hundred ms is ridden out); the API refuses new requests up front while a connection
 * is not ready (see `createApp`), and its request deadline bounds everything else.
 */
export type RedisRole = 'worker' | 'api';

export type ConnectionOptions = Pick<RedisOptions, 'connectionName' | 'retryStrategy'>;

const ROLE_OPTIONS: Record<RedisRole, RedisOptions> = {
  worker: { maxRetriesPerRequest: null, enableReadyCheck: true },
  api: { maxRetriesPerRequest: 1, connectTimeout: 2_000 },
};

/**
 * How long a cluster command is retried while its slot has no reachable master (ioredis' default gives up after
 * 16 x 100 ms with a plain `Error` that has no class or code to tell an outage by). A worker rides out a short
 * failover but gives up within 5 s, before BullMQ's watchdog on a blocking fetch (block timeout + 1 s) resets the
 * blocking connection, which can leave a cluster client stuck closing; a job that fails meanwhile is retried. The
 * API's commands wait longer than its request deadline (`REQUEST_DEADLINE_MS`), which answers 503 first.
 */
const CLUSTER_ROLE_OPTIONS: Record<RedisRole, ClusterOptions> = {
  worker: { retryDelayOnFailover: 500, retryDelayOnClusterDown: 500, retryDelayOnTryAgain: 500, maxRedirections: 10 },
  api: { retryDelayOnFailover: 250, retryDelayOnClusterDown: 250, retryDelayOnTryAgain: 250, maxRedirections: 32 },
};

const tlsOptions = (tls: RedisTls): TlsOptions => ({ ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.servername ? { servername: tls.servername } : {}) });

const authOptions = (auth: RedisAuth): RedisOptions => ({ username: auth.username, password: auth.password });

/** A master demoted by a failover answers writes with READONLY until Sentinel's reconfiguration drops us. */
const reconnectWhenReadOnly = (error: Error): 2 | false => (error.message.startsWith('READONLY') ? 2 : false);

/**
 * A client for the configured deployment: a single node, the master a Sentinel set names (followed through
 * failovers), or a Redis Cluster. Every product key carries the `{prefix}` hash tag and every BullMQ queue its own
 * tag, so each multi-key script and transaction stays in one slot of a cluster.
 */
export function createRedisConnection(deployment: RedisDeployment, role: RedisRole, options: ConnectionOptions = {}): Redis {
  const access: RedisOptions = { ...authOptions(deployment.auth), ...(deployment.tls ? { tls: tlsOptions(deployment.tls) } : {}) };
  switch (deployment.topology) {
    case 'single':
      return new Redis({ ...deployment.address, db: deployment.db, ...access, ...ROLE_OPTIONS[role], ...options });
    case 'sentinel': {
      const sentinelAccess: RedisOptions = {
        ...authOptions(deployment.sentinelAuth),
        ...(deployment.tls ? { tls: tlsOptions(deployment.tls) } : {}),
      };
      const client = new Redis({
        sentinels: deployment.sentinels,
        name: deployment.masterName,
        sentinelUsername: deployment.sentinelAuth.username,
        sentinelPassword: deployment.sentinelAuth.password,
        ...(deployment.tls ? { enableTLSForSentinelMode: true, sentinelTLS: tlsOptions(deployment.tls) } : {}),
        reconnectOnError: reconnectWhenReadOnly,
        ...access,
        ...ROLE_OPTIONS[role],
        ...options,
      });
      // BullMQ's duplicates of a worker connection (its blocking clients) do without: BullMQ resets a blocking fetch
      // that outlives its timeout, and a master that closes its connections is followed by every client.
      followFailovers(client, deployment.sentinels, deployment.masterName, sentinelAccess);
      return client;
    }
    case 'cluster':
      return createCluster(deployment, role, access, options);
  }
}

function createCluster(deployment: Extract<RedisDeployment, { topology: 'cluster' }>, role: RedisRole, access: RedisOptions, options: ConnectionOptions): Redis {
  const { retryStrategy, ...nodeOptions } = options;
  const cluster = new Cluster(deployment.nodes, {
    ...CLUSTER_ROLE_OPTIONS[role],
    ...(retryStrategy ? { clusterRetryStrategy: retryStrategy } : {}),
    // Managed cluster modes (ElastiCache, MemoryDB, Azure) announce nodes by a name their certificate carries:
    // resolving it to an IP here would make TLS check the IP. Node's own connect resolves the name instead.
    ...(deployment.tls ? { dnsLookup: (address: string, callback: (error: null, address: string) => void) => callback(null, address) } : {}),
    redisOptions: { ...access, ...ROLE_OPTIONS[role], ...nodeOptions },
  });
  // Consumers use the commands a cluster shares with a single node (BullMQ accepts either); typing it as `Redis`
  // in this one place keeps the ~40 modules that take a `Redis` unchanged.
  return cluster as unknown as Redis;
}

/** How long identical connection errors are folded into one log line. */
const ERROR_LOG_INTERVAL_MS = 30_000;

/**
 * Logs a connection's errors as one structured line each (name, code and message, never the error object: a
 * reply error can carry the command's arguments, AUTH's password among them). Repeats of the same error (same
 * code, or same message when it has none) fold into one line per `intervalMs` with a count; one line says when
 * the connection is ready again. Attaching it also stops ioredis' multi-line "Unhandled error event" dumps.
 */
export function logConnectionErrors(
  emitter: Pick<EventEmitter, 'on'>,
  logger: Logger,
  connection: string,
  { intervalMs = ERROR_LOG_INTERVAL_MS, now = Date.now }: { intervalMs?: number; now?: () => number } = {},
): void {
  let last: { key: string; at: number; suppressed: number } | undefined;
  let failing = false;
  emitter.on('error', (error: Error) => {
    failing = true;
    const code = (error as NodeJS.ErrnoException).code;
    const key = code === undefined ? `${error.name}|${error.message}` : `${error.name}|${code}`;
    const at = now();
    if (last?.key === key && at - last.at < intervalMs) {
      last.suppressed += 1;
      return;
    }
    const repeated = last?.key === key ? last.suppressed : 0;
    last = { key, at, suppressed: 0 };
    logger.warn({ connection, error: error.name, code, message: error.message, ...(repeated ? { repeated } : {}) }, 'redis connection error');
  });
  emitter.on('ready', () => {
    if (!failing) return;
    failing = false;
    last = undefined;
    logger.info({ connection }, 'redis connection ready again');
  });
}

export type { Redis };
