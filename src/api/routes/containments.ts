import { Router } from 'express';
import { ContainmentRequestSchema } from '../../contracts/containment-request.js';
import { WatchRequestError } from '../../watch/watch-service.js';
import { auditActorOf, principalOf, requireScope } from '../caller.js';
import type { ApiDeps } from '../deps.js';
import { parseJsonBody } from '../body.js';
import { ApiError, invalidRequest } from '../errors.js';
import { enforceRateLimit } from '../rate-limit.js';
import { idempotencyKeyOf } from '../request-ref.js';

export function containmentRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.post('/containments', requireScope('open'), async (req, res) => {
    const principal = principalOf(res);
    await enforceRateLimit(deps.redis, deps.keys, principal, deps.rateLimitPerMinute);
    const request = parseJsonBody(req, ContainmentRequestSchema);
    const idempotencyKey = idempotencyKeyOf(req) ?? request.action_id;
    let result;
    try {
      result = await deps.service.open(request, auditActorOf(res), idempotencyKey);
    } catch (error) {
      if (error instanceof WatchRequestError) throw invalidRequest([{ path: error.path, message: error.message }]);
      throw error;
    }
    const { watch, merged, repeated } = result;
    deps.metrics.webhooks.inc({ outcome: repeated ? 'repeated' : merged ? 'merged' : 'created' });
    res.status(merged || repeated ? 200 : 202).json({
      watch_id: watch.id,
      incident_id: watch.incident_id,
      state: watch.state,
      status_url: deps.views.statusUrl(watch.id),
      expires_at: watch.expires_at,
      merged,
    });
  });
  router.use((error: unknown, _req: unknown, _res: unknown, next: (error: unknown) => void) => {
    if (error instanceof ApiError) deps.metrics.webhooks.inc({ outcome: String(error.status) });
    next(error);
  });
  return router;
}
