import { Router } from 'express';
import type { ApiDeps } from '../app.js';

/** A worker counts as alive when its heartbeat is younger than this. */
const WORKER_STALE_MS = 30_000;

export function healthRoutes({ redis, keys, metrics }: Pick<ApiDeps, 'redis' | 'keys' | 'metrics'>): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks: Record<string, string> = {};
    try {
      await redis.ping();
      checks.redis = 'ok';
      const alive = await redis.zcount(keys.workerHeartbeats, Date.now() - WORKER_STALE_MS, '+inf');
      checks.workers = alive > 0 ? `ok (${alive})` : 'no worker heartbeat in the last 30s';
    } catch (error) {
      checks.redis = `unreachable: ${(error as Error).message}`;
    }
    const ready = checks.redis === 'ok' && checks.workers?.startsWith('ok') === true;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
