import { Router } from 'express';
import { FAILURE_SUMMARY } from '../../lib/failure.js';
import { SourceFaults } from '../../stores/source-faults.js';
import type { ApiDeps } from '../deps.js';

/** A worker counts as alive when its heartbeat is younger than this. */
const WORKER_STALE_MS = 30_000;

/** The connections of `statuses` that are not ready, as `name: status`. */
export const notReady = (statuses: Record<string, string>): string[] =>
  Object.entries(statuses)
    .filter(([, status]) => status !== 'ready')
    .map(([name, status]) => `${name}: ${status}`);

/**
 * `connections`: the status of each Redis connection the API serves `/v1` from. One that stays down while Redis
 * answers (a client that did not follow a failover) fails readiness, so the orchestrator replaces this process
 * instead of it answering 503 for ever.
 */
export function healthRoutes({
  redis,
  keys,
  metrics,
  connections,
}: Pick<ApiDeps, 'redis' | 'keys' | 'metrics'> & { connections: () => Record<string, string> }): Router {
  const router = Router();
  const faults = new SourceFaults(redis, keys);
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  /**
   * A source paused by a terminal failure is named here but does not fail readiness: the vendor refused us, this
   * process can still serve, and taking it out of rotation would stop the intake of every other source's watches.
   * The vendor's own message is left out: this endpoint answers without authentication.
   */
  router.get('/readyz', async (_req, res) => {
    const checks: Record<string, string> = {};
    let paused: { source: string; code: string; summary: string; since: string; next_probe_at: string }[] = [];
    try {
      await redis.ping();
      checks.redis = 'ok';
      const down = notReady(connections());
      checks.connections = down.length === 0 ? 'ok' : `not ready: ${down.join(', ')}`;
      const alive = await redis.zcount(keys.workerHeartbeats, Date.now() - WORKER_STALE_MS, '+inf');
      checks.workers = alive > 0 ? `ok (${alive})` : 'no worker heartbeat in the last 30s';
      paused = (await faults.all()).map(({ source, code, since, next_probe_at }) => ({ source, code, summary: FAILURE_SUMMARY[code], since, next_probe_at }));
      checks.sources = paused.length === 0 ? 'ok' : `paused: ${paused.map((fault) => `${fault.source} (${fault.code})`).join(', ')}`;
    } catch (error) {
      checks.redis = `unreachable: ${(error as Error).message}`;
    }
    const ready = checks.redis === 'ok' && checks.connections === 'ok' && checks.workers?.startsWith('ok') === true;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks, paused_sources: paused });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
