import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { authenticate } from './auth.js';
import type { ApiDeps } from './deps.js';
import { rawBody, rawBodyOf } from './body.js';
import { ApiError, errorHandler, foldedWarning, sendError, storeUnavailable } from './errors.js';
import { openApiDocument } from './openapi.js';
import { replayGuard } from './replay-guard.js';
import { allowRuleRoutes } from './routes/allow-rules.js';
import { containmentRoutes } from './routes/containments.js';
import { healthRoutes, notReady } from './routes/health.js';
import { watchRoutes } from './routes/watches.js';

export const REQUEST_DEADLINE_MS = 5_000;

/**
 * The HTTP API. Slack's route mounts on the same app before the `/v1` raw-body reader, so Bolt reads and verifies
 * Slack's signature on its own raw body, and Slack's signature check never applies to the webhook.
 */
export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);

  const requireAuth = (req: Request, res: Response, next: NextFunction) => {
    res.locals.caller = authenticate(req, rawBodyOf(req), deps.auth);
    next();
  };

  const connections = deps.redisConnections ?? (() => ({ api: deps.redis.status }));
  app.use(healthRoutes({ ...deps, connections }));
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  if (deps.slackRouter) app.use(deps.slackRouter);
  app.use('/v1', rawBody, requireAuth, withDeadline(deps.requestDeadlineMs ?? REQUEST_DEADLINE_MS, deps.logger));
  // Redis is down or reconnecting: say so now, rather than let the request wait out its reconnection attempts.
  app.use('/v1', (_req, _res, next) => next(notReady(connections()).length === 0 ? undefined : storeUnavailable()));
  app.use('/v1', replayGuard(deps.redis, deps.keys, deps.auth.now));
  app.use('/v1', containmentRoutes(deps));
  app.use('/v1', watchRoutes(deps));
  app.use('/v1', allowRuleRoutes(deps));
  app.use((req, _res, next) => next(new ApiError('request.not_found', `no route ${req.method} ${req.path}`)));
  app.use(errorHandler(deps.logger));
  return app;
}

/**
 * Every request gets an answer within `deadlineMs` of its body being read: past it, a request still waiting (on
 * Redis, a lock, a queue) is answered 503 with Retry-After. Its handler may still finish afterwards; what it would
 * have sent is dropped (the error handler skips a response whose headers are sent).
 */
function withDeadline(deadlineMs: number, logger: ApiDeps['logger']) {
  const warn = foldedWarning(logger, 'request deadline passed: answered 503');
  return (req: Request, res: Response, next: NextFunction) => {
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      warn({ path: req.path, deadline_ms: deadlineMs });
      sendError(res, storeUnavailable());
    }, deadlineMs);
    timer.unref();
    const clear = () => clearTimeout(timer);
    res.once('finish', clear);
    res.once('close', clear);
    next();
  };
}
