import { Router, type Request } from 'express';
import * as z from 'zod';
import { durationString, parseDuration } from '../../contracts/duration.js';
import { printable } from '../../contracts/common.js';
import { WatchViewSchema } from '../../contracts/watch.js';
import { decodeCursor, encodeCursor, WatchLister } from '../../stores/watch-list.js';
import { evidenceMarkdown, evidenceReport } from '../../watch/evidence-report.js';
import { WatchClosedError, WatchNotFoundError } from '../../watch/watch-service.js';
import { auditActorOf, requireScope } from '../caller.js';
import type { ApiDeps } from '../deps.js';
import { parseJsonBody } from '../body.js';
import { requestRefOf } from '../request-ref.js';
import { issuesOf } from '../../contracts/field-issues.js';
import { ApiError, invalidRequest } from '../errors.js';

export const LIST_DEFAULT_LIMIT = 100;
export const LIST_MAX_LIMIT = 500;

export const ListQuerySchema = z.strictObject({
  state: z.enum(['active', 'closed', 'all']).default('active').describe('active: not closed yet; closed: with a verdict; all: both'),
  incident: printable(128).optional().describe('only the watches of this incident_id (every one, not just the active one)'),
  host: printable(255)
    .optional()
    .describe('only the watches of this host, given by host name, IP or EDR id, matched as telemetry is matched to watched hosts (case-insensitive; a short name matches its FQDN)'),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(LIST_MAX_LIMIT)
    .default(LIST_DEFAULT_LIMIT)
    .describe(`watches per page, ${LIST_DEFAULT_LIMIT} by default, at most ${LIST_MAX_LIMIT}`),
  cursor: z
    .string()
    .optional()
    .transform((cursor, ctx) => {
      if (cursor === undefined) return undefined;
      const position = decodeCursor(cursor);
      if (position === undefined) ctx.addIssue({ code: 'custom', message: 'not a cursor from a previous page (pass next_cursor as it came)' });
      return position;
    })
    .describe("the previous page's next_cursor, as it came"),
});

export const WatchListSchema = z.object({
  watches: z.array(WatchViewSchema),
  next_cursor: z
    .string()
    .nullable()
    .describe(
      'where the next page starts (pass it as ?cursor= with the same filters); null once every watch was listed. A page may hold fewer than limit watches, even none, while next_cursor is not null: keep following it',
    ),
});
export type WatchList = z.infer<typeof WatchListSchema>;
export const ReportQuerySchema = z.strictObject({ format: z.enum(['json', 'md']).default('json') });
export const ExtendBodySchema = z.strictObject({ by: durationString(60_000, 30 * 86_400_000) });
export const StopBodySchema = z.strictObject({ reason: printable(500).default('stopped through the API') });

const parseQuery = <T>(req: Request, schema: z.ZodType<T>): T => {
  const parsed = schema.safeParse({ ...req.query });
  if (!parsed.success) throw invalidRequest(issuesOf(parsed.error).map((issue) => ({ ...issue, path: `query.${issue.path}` })));
  return parsed.data;
};

const notFound = (id: string) => new ApiError('watch.not_found', `no watch ${id}`);

export function watchRoutes(deps: ApiDeps): Router {
  const router = Router();
  const lister = new WatchLister(deps.redis, deps.keys);

  router.get('/watches', requireScope('read'), async (req, res) => {
    const { cursor, ...query } = parseQuery(req, ListQuerySchema);
    const page = await lister.page({ ...query, after: cursor });
    const body: WatchList = {
      watches: await Promise.all(page.watches.map((watch) => deps.views.build(watch))),
      next_cursor: page.next === undefined ? null : encodeCursor(page.next),
    };
    res.json(body);
  });

  router.get('/watches/:id', requireScope('read'), async (req, res) => {
    const view = await deps.views.byId(req.params.id as string);
    if (!view) throw notFound(req.params.id as string);
    res.json(view);
  });

  router.get('/watches/:id/findings', requireScope('read'), async (req, res) => {
    const watch = await deps.store.get(req.params.id as string);
    if (!watch) throw notFound(req.params.id as string);
    res.json({ watch_id: watch.id, findings: await deps.findings.list(watch.id) });
  });

  router.get('/watches/:id/report', requireScope('read'), async (req, res) => {
    const { format } = parseQuery(req, ReportQuerySchema);
    const watch = await deps.store.get(req.params.id as string);
    if (!watch) throw notFound(req.params.id as string);
    const findings = await deps.findings.list(watch.id);
    const report = evidenceReport(await deps.views.build(watch, findings), findings);
    if (format === 'md') res.type('text/markdown; charset=utf-8').send(evidenceMarkdown(report));
    else res.json(report);
  });

  router.post('/watches/:id/extend', requireScope('operate'), async (req, res) => {
    const { by } = parseJsonBody(req, ExtendBodySchema);
    const watch = await lifecycle(() => deps.service.extend(req.params.id as string, parseDuration(by) ?? 0, auditActorOf(res), requestRefOf(req, res)));
    res.json(await deps.views.build(watch));
  });

  router.post('/watches/:id/stop', requireScope('operate'), async (req, res) => {
    const { reason } = parseJsonBody(req, StopBodySchema);
    const watch = await lifecycle(() => deps.service.stop(req.params.id as string, reason, auditActorOf(res), requestRefOf(req, res)));
    res.status(202).json(await deps.views.build(watch));
  });

  return router;
}

async function lifecycle<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof WatchNotFoundError) throw notFound(error.watchId);
    if (error instanceof WatchClosedError) throw new ApiError('watch.closed', error.message);
    throw error;
  }
}
