import { Router, type Request } from 'express';
import * as z from 'zod';
import { durationString, parseDuration } from '../../contracts/duration.js';
import { printable } from '../../contracts/common.js';
import { evidenceMarkdown, evidenceReport } from '../../watch/evidence-report.js';
import { WatchClosedError, WatchNotFoundError } from '../../watch/watch-service.js';
import { principalOf, type ApiDeps } from '../app.js';
import { parseJsonBody } from '../body.js';
import { ApiError, invalidRequest, issuesOf } from '../errors.js';

export const ListQuerySchema = z.strictObject({ state: z.enum(['active', 'closed', 'all']).default('active') });
export const ReportQuerySchema = z.strictObject({ format: z.enum(['json', 'md']).default('json') });
export const ExtendBodySchema = z.strictObject({ by: durationString(60_000, 30 * 86_400_000) });
export const StopBodySchema = z.strictObject({ reason: printable(500).default('stopped through the API') });

const parseQuery = <T>(req: Request, schema: z.ZodType<T>): T => {
  const parsed = schema.safeParse({ ...req.query });
  if (!parsed.success) throw invalidRequest(issuesOf(parsed.error).map((issue) => ({ ...issue, path: `query.${issue.path}` })));
  return parsed.data;
};

const notFound = (id: string) => new ApiError(404, 'not_found', `no watch ${id}`);

export function watchRoutes(deps: ApiDeps): Router {
  const router = Router();

  router.get('/watches', async (req, res) => {
    const { state } = parseQuery(req, ListQuerySchema);
    const watches = await deps.store.list(state);
    res.json({ watches: await Promise.all(watches.map((watch) => deps.views.build(watch))) });
  });

  router.get('/watches/:id', async (req, res) => {
    const view = await deps.views.byId(req.params.id as string);
    if (!view) throw notFound(req.params.id as string);
    res.json(view);
  });

  router.get('/watches/:id/findings', async (req, res) => {
    const watch = await deps.store.get(req.params.id as string);
    if (!watch) throw notFound(req.params.id as string);
    res.json({ watch_id: watch.id, findings: await deps.findings.list(watch.id) });
  });

  router.get('/watches/:id/report', async (req, res) => {
    const { format } = parseQuery(req, ReportQuerySchema);
    const watch = await deps.store.get(req.params.id as string);
    if (!watch) throw notFound(req.params.id as string);
    const findings = await deps.findings.list(watch.id);
    const report = evidenceReport(await deps.views.build(watch, findings), findings);
    if (format === 'md') res.type('text/markdown; charset=utf-8').send(evidenceMarkdown(report));
    else res.json(report);
  });

  router.post('/watches/:id/extend', async (req, res) => {
    const { by } = parseJsonBody(req, ExtendBodySchema);
    const watch = await lifecycle(() => deps.service.extend(req.params.id as string, parseDuration(by) ?? 0, principalOf(res)));
    res.json(await deps.views.build(watch));
  });

  router.post('/watches/:id/stop', async (req, res) => {
    const { reason } = parseJsonBody(req, StopBodySchema);
    const watch = await lifecycle(() => deps.service.stop(req.params.id as string, reason, principalOf(res)));
    res.status(202).json(await deps.views.build(watch));
  });

  return router;
}

async function lifecycle<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof WatchNotFoundError) throw notFound(error.watchId);
    if (error instanceof WatchClosedError) throw new ApiError(409, 'conflict', error.message);
    throw error;
  }
}
