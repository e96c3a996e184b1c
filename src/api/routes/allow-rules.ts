import { Router } from 'express';
import { auditActorOf, requireScope } from '../caller.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';

/**
 * The allow-rules responders created with "Mark benign": list them, and delete one made by mistake. Rules from
 * containment-watch.yaml are configuration and are changed there.
 */
export function allowRuleRoutes(deps: ApiDeps): Router {
  const router = Router();

  router.get('/allow-rules', requireScope('read'), async (_req, res) => {
    res.json({ rules: await deps.allowRules.list() });
  });

  router.delete('/allow-rules/:id', requireScope('operate'), async (req, res) => {
    const id = req.params.id as string;
    const removed = await deps.allowRules.remove(id);
    if (!removed) {
      throw new ApiError('request.not_found', `no allow-rule ${id} created from Slack (rules in containment-watch.yaml are changed in that file)`);
    }
    const by = auditActorOf(res);
    deps.logger.info({ rule_id: id, actor: by.actor, origin: removed.origin }, 'allow-rule deleted');
    await deps.service.recordAudit(removed.origin.watch_id, {
      ...by,
      action: 'allow_rule_removed',
      detail: `allow-rule ${id} (created by ${removed.created_by} at ${removed.created_at}) deleted through the API`,
    });
    res.json({ removed: { id, ...removed } });
  });

  return router;
}
