import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import type { RedisKeys } from '../lib/keys.js';
import type { Metrics } from '../lib/metrics.js';
import type { FindingStore } from '../watch/finding-store.js';
import type { WatchService } from '../watch/watch-service.js';
import type { WatchStore } from '../watch/watch-store.js';
import type { WatchViews } from '../watch/watch-view.js';
import { authenticate, type AuthConfig } from './auth.js';
import { rawBody, rawBodyOf } from './body.js';
import { ApiError, errorHandler } from './errors.js';
import { openApiDocument } from './openapi.js';
import { containmentRoutes } from './routes/containments.js';
import { healthRoutes } from './routes/health.js';
import { watchRoutes } from './routes/watches.js';

export interface ApiDeps {
  redis: Redis;
  keys: RedisKeys;
  store: WatchStore;
  findings: FindingStore;
  views: WatchViews;
  service: WatchService;
  auth: AuthConfig;
  rateLimitPerMinute: number;
  metrics: Metrics;
  logger: Logger;
}

/** The caller authenticated for this request, set by `requireAuth`. */
export const principalOf = (res: Response): string => String(res.locals.principal);

/**
 * The HTTP API. Slack's routes (a later issue) mount on the same app before the raw-body reader, so Bolt
 * can verify Slack signatures on its own raw body.
 */
export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);

  const requireAuth = (req: Request, res: Response, next: NextFunction) => {
    res.locals.principal = authenticate(req, rawBodyOf(req), deps.auth);
    next();
  };

  app.use(healthRoutes(deps));
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  app.use('/v1', rawBody, requireAuth);
  app.use('/v1', containmentRoutes(deps));
  app.use('/v1', watchRoutes(deps));
  app.use((req, _res, next) => next(new ApiError(404, 'not_found', `no route ${req.method} ${req.path}`)));
  app.use(errorHandler(deps.logger));
  return app;
}
