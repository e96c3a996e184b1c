import { once } from 'node:events';
import type { Server } from 'node:http';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createApp } from '../api/app.js';
import type { AppConfig } from '../config/load.js';
import { createRedisConnection, logConnectionErrors } from '../lib/redis.js';
import { isRedisUnavailable } from '../lib/redis-errors.js';
import type { Logger } from '../lib/logger.js';
import { createMetrics, type Metrics } from '../lib/metrics.js';
import { WatchQueues } from '../queue/queues.js';
import { watchJobs } from '../jobs/index.js';
import { startWorkers } from '../jobs/workers.js';
import { durationMs } from '../sources/source-config.js';
import { RECONCILE_EVERY_MS } from '../watch/reconciler.js';
import type { Reporter } from '../report/reporter.js';
import { AllowRuleStore } from '../stores/allow-rule-store.js';
import { FindingStore } from '../stores/finding-store.js';
import { WatchService } from '../watch/watch-service.js';
import { WatchStore } from '../stores/watch-store.js';
import { WatchViews } from '../watch/watch-view.js';
import { createWorkerParts, jobDepsOf, keysFor, newWorkerId, publicUrlOf } from './build.js';
import { createSlackApi, createSlackWorker, slackInteractive } from './slack.js';
import type { WorkerParts } from './worker-parts.js';

/** A long-lived part of the product: started once, closed once, in order, on shutdown. */
export interface Service {
  close(): Promise<void>;
}

export interface ApiService extends Service {
  server: Server;
  url: string;
}

const HEARTBEAT_MS = 10_000;

/** The HTTP API: webhook intake and the watch endpoints. It enqueues jobs; workers do the rest. */
/** How long an idle kept-alive HTTP connection stays open. */
const KEEP_ALIVE_MS = 65_000;

export async function startApi(config: AppConfig, logger: Logger, metrics: Metrics = createMetrics()): Promise<ApiService> {
  const { env } = config;
  if (!env.WEBHOOK_TOKENS?.length && !env.WEBHOOK_HMAC_SECRET) {
    throw new Error('WEBHOOK_TOKENS or WEBHOOK_HMAC_SECRET must be set: the webhook never runs unauthenticated');
  }
  const unscoped = (env.WEBHOOK_TOKENS ?? []).filter((token) => !token.scoped).map((token) => token.name);
  if (unscoped.length > 0) {
    logger.warn({ tokens: unscoped }, 'WEBHOOK_TOKENS entries without [scopes] may open, read and operate watches: give each only what it needs, e.g. name[open]:token');
  }
  if (env.WEBHOOK_ACCEPT_V1_SIGNATURES) {
    logger.warn('v1 signatures accepted on POST /v1/containments: they do not cover the method, path or query; move the signers to v2');
  }
  const keys = keysFor(config);
  // Both of the API's connections fail fast, the one its queues add jobs with included: the API never blocks
  // on Redis (BullMQ's `Queue` does not need `maxRetriesPerRequest: null`; only workers' blocking clients do).
  const redis = createRedisConnection(env.redis, 'api', { connectionName: 'cw-api' });
  logConnectionErrors(redis, logger, 'api');
  await waitUntilReady(redis);
  const queueRedis = createRedisConnection(env.redis, 'api', { connectionName: 'cw-api-queues' });
  logConnectionErrors(queueRedis, logger, 'api-queues');
  await waitUntilReady(queueRedis);
  const store = new WatchStore(redis, keys);
  const findings = new FindingStore(redis, keys);
  const queues = new WatchQueues(queueRedis, keys.bullPrefix);
  // The connection's own errors are logged above; BullMQ re-emits them on each queue, where they would be printed
  // as multi-line dumps without a listener. Anything else a queue reports is logged once here.
  queues.onError((error, queue) => {
    if (!isRedisUnavailable(error)) logger.warn({ queue, error: error.name, message: error.message }, 'queue error');
  });
  const views = new WatchViews(store, findings, publicUrlOf(config));
  const slack = slackInteractive(config)
    ? createSlackApi(config, { redis, queueConnection: queueRedis, keys, store, findings, views, logger })
    : undefined;
  const service = new WatchService({
    redis,
    keys,
    store,
    scheduler: queues,
    defaults: config.defaults,
    sourceIds: config.sources.map((source) => source.id),
    logger,
  });
  const app = createApp({
    redis,
    keys,
    store,
    findings,
    views,
    service,
    allowRules: new AllowRuleStore(redis, keys),
    auth: {
      tokens: env.WEBHOOK_TOKENS ?? [],
      hmacSecret: env.WEBHOOK_HMAC_SECRET,
      hmacScopes: env.WEBHOOK_HMAC_SCOPES,
      acceptV1Signatures: env.WEBHOOK_ACCEPT_V1_SIGNATURES,
    },
    redisConnections: () => ({ api: redis.status, 'api-queues': queueRedis.status }),
    rateLimitPerMinute: env.WEBHOOK_RATE_LIMIT_PER_MINUTE,
    metrics,
    logger,
    slackRouter: slack?.router,
  });
  const server = app.listen(env.PORT, env.HOST);
  // An idle kept-alive connection outlives a load balancer's (60 s on the common ones): closed by us first, a request
  // the balancer or a client sends on it as we close it fails with a reset instead of reaching the API.
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 1_000;
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : env.PORT;
  const url = `http://${env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST}:${port}`;
  logger.info({ url, slack: slack === undefined ? 'off' : env.SLACK_APP_TOKEN ? 'socket mode' : 'http' }, 'API listening');
  await slack?.start();
  return {
    server,
    url,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await slack?.close();
      await queues.close();
      await quit(queueRedis);
      await quit(redis);
    },
  };
}

export interface WorkerService extends Service {
  /** This process's worker id: its heartbeat, and the `processedBy` of every job it runs. */
  id: string;
  parts: WorkerParts;
  workers: Worker[];
}

/** The job workers: baselines, coalesced polls, reporting and closing. */
export async function startWorker(
  config: AppConfig,
  logger: Logger,
  options: {
    metrics?: Metrics;
    /** Wraps the configured reporter, e.g. to observe publications in the demo. */
    decorateReporter?: (reporter: Reporter) => Reporter;
    reporterOut?: NodeJS.WritableStream;
    concurrency?: number;
  } = {},
): Promise<WorkerService> {
  const redis = createRedisConnection(config.env.redis, 'worker', { connectionName: 'cw-worker' });
  logConnectionErrors(redis, logger, 'worker');
  const slack = slackInteractive(config) ? createSlackWorker(config, redis, keysFor(config), logger) : undefined;
  const decorate = options.decorateReporter ?? ((reporter: Reporter) => reporter);
  const parts = createWorkerParts({
    config,
    redis,
    logger,
    metrics: options.metrics ?? createMetrics(),
    decorateReporter: (reporter) => decorate(slack === undefined ? reporter : slack.decorate(reporter)),
    reporterOut: options.reporterOut,
  });
  const reprobeMs = new Map(config.sources.map((source) => [source.id, durationMs(source.reprobe)]));
  const requestsPerMinute = new Map(
    config.sources.flatMap((source) => (source.rate_limit_per_minute === undefined ? [] : [[source.id, source.rate_limit_per_minute] as const])),
  );
  // As in the API: the connection's errors are logged once above (a failover's included), not dumped per queue.
  parts.queues.onError((error, queue) => {
    if (!isRedisUnavailable(error)) logger.warn({ queue, error: error.name, message: error.message }, 'queue error');
  });
  const workerId = newWorkerId();
  const workers = startWorkers(watchJobs(jobDepsOf(parts, { reprobeMs, requestsPerMinute }), [...parts.connectors.keys()]), {
    connection: redis,
    prefix: parts.keys.bullPrefix,
    concurrency: options.concurrency,
    name: workerId,
    logger,
  });
  if (slack !== undefined) workers.push(...slack.start(parts, options.concurrency ?? 4));
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  await scheduleEstatePrevalence(parts);
  await parts.queues.scheduleReconciler(RECONCILE_EVERY_MS);
  const beat = () =>
    redis
      .multi()
      .zadd(parts.keys.workerHeartbeats, Date.now(), workerId)
      .zremrangebyscore(parts.keys.workerHeartbeats, '-inf', Date.now() - 10 * HEARTBEAT_MS)
      .exec()
      .catch((error: Error) => logger.warn({ err: error.message }, 'heartbeat failed'));
  await beat();
  const heartbeat = setInterval(beat, HEARTBEAT_MS);
  heartbeat.unref();
  logger.info({ worker_id: workerId, sources: [...parts.connectors.keys()] }, 'worker started');
  return {
    id: workerId,
    parts,
    workers,
    async close() {
      clearInterval(heartbeat);
      const closing = Promise.all(workers.map((worker) => worker.close()));
      if (!(await settlesWithin(closing, WORKER_CLOSE_DEADLINE_MS))) {
        logger.warn({ deadline_ms: WORKER_CLOSE_DEADLINE_MS }, 'workers did not stop in time: their running jobs are left to BullMQ to take over as stalled');
      }
      await redis.zrem(parts.keys.workerHeartbeats, workerId).catch(() => undefined);
      await parts.queues.close();
      await slack?.close();
      await Promise.all([...parts.connectors.values()].map((connector) => connector.close()));
      await parts.reporter.close();
      await quit(redis);
    },
  };
}

/**
 * How long a worker's shutdown waits for its running jobs: under the usual 30 s an orchestrator allows before SIGKILL.
 * A job still running then is taken over once BullMQ finds it stalled. It also bounds a worker whose blocking
 * connection never ends (seen with a Redis Cluster right after a failover), which would hold the shutdown forever.
 */
const WORKER_CLOSE_DEADLINE_MS = 25_000;

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = promise.then(() => true);
  // A failure after the deadline has nobody left to tell: it must not become an unhandled rejection.
  settled.catch(() => undefined);
  try {
    return await Promise.race([settled, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Each source that can aggregate gets its prevalence refresh scheduled (or unscheduled when turned off). */
async function scheduleEstatePrevalence(parts: WorkerParts): Promise<void> {
  const { enabled, refreshEveryMs } = parts.baselines.policy.prevalence;
  const sourceIds = enabled ? [...parts.connectors].filter(([, connector]) => connector.fetchPrevalence).map(([id]) => id) : [];
  await parts.queues.schedulePrevalenceRefreshes(sourceIds, refreshEveryMs);
}

/** Waits once at start-up for an API connection, so the first requests are not refused as "not ready". */
async function waitUntilReady(redis: Redis, timeoutMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return;
  await Promise.race([
    once(redis, 'ready'),
    new Promise((_resolve, reject) => setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs).unref()),
  ]);
}

async function quit(redis: Redis): Promise<void> {
  await redis.quit().catch(() => redis.disconnect());
}

/** Closes services in the given order on SIGTERM/SIGINT; a second signal forces the exit. */
export function closeOnSignals(services: Service[], logger: Logger): void {
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) process.exit(1);
    closing = true;
    logger.info({ signal }, 'shutting down');
    void (async () => {
      for (const service of services) await service.close().catch((error: Error) => logger.error({ err: error.message }, 'close failed'));
      process.exit(0);
    })();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
