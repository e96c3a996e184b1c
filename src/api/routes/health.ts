import { Router } from 'express';
import { FAILURE_SUMMARY } from '../../lib/failure.js';
import { SourceFaults } from '../../stores/source-faults.js';
import type { ApiDeps } from '../deps.js';

/** A worker counts as alive when its heartbeat is younger than this. */
const WORKER_STALE_MS = 30_000;

export function healthRoutes({ redis, keys, metrics }: Pick<ApiDeps, 'redis' | 'keys' | 'metrics'>): Router {
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
      const alive = await redis.zcount(keys.workerHeartbeats, Date.now() - WORKER_STALE_MS, '+inf');
      checks.workers = alive > 0 ? `ok (${alive})` : 'no worker heartbeat in the last 30s';
      paused = (await faults.all()).map(({ source, code, since, next_probe_at }) => ({ source, code, summary: FAILURE_SUMMARY[code], since, next_probe_at }));
      checks.sources = paused.length === 0 ? 'ok' : `paused: ${paused.map((fault) => `${fault.source} (${fault.code})`).join(', ')}`;
    } catch (error) {
      checks.redis = `unreachable: ${(error as Error).message}`;
    }
    const ready = checks.redis === 'ok' && checks.workers?.startsWith('ok') === true;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks, paused_sources: paused });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
