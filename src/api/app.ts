import express, { type Express, type NextFunction, type Request, type Response, type Router } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import type { RedisKeys } from '../lib/keys.js';
import type { Metrics } from '../lib/metrics.js';
import type { AllowRuleStore } from '../watch/allow-rule-store.js';
import type { FindingStore } from '../watch/finding-store.js';
import type { WatchService } from '../watch/watch-service.js';
import type { WatchStore } from '../watch/watch-store.js';
import type { WatchViews } from '../watch/watch-view.js';
import { authenticate, type AuthConfig } from './auth.js';
import { rawBody, rawBodyOf } from './body.js';
import { ApiError, errorHandler } from './errors.js';
import { openApiDocument } from './openapi.js';
import { allowRuleRoutes } from './routes/allow-rules.js';
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
  /** Allow-rules responders created from Slack. */
  allowRules: AllowRuleStore;
  auth: AuthConfig;
  rateLimitPerMinute: number;
  metrics: Metrics;
  logger: Logger;
  /** Slack's `POST /slack/events` (Bolt's receiver), when Slack runs over HTTP. @defaultValue none */
  slackRouter?: Router | undefined;
}

/** The caller authenticated for this request, set by `requireAuth`. */
export const principalOf = (res: Response): string => String(res.locals.principal);

/**
 * The HTTP API. Slack's route mounts on the same app before the `/v1` raw-body reader, so Bolt reads and verifies
 * Slack's signature on its own raw body, and Slack's signature check never applies to the webhook.
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
  if (deps.slackRouter) app.use(deps.slackRouter);
  app.use('/v1', rawBody, requireAuth);
  app.use('/v1', containmentRoutes(deps));
  app.use('/v1', watchRoutes(deps));
  app.use('/v1', allowRuleRoutes(deps));
  app.use((req, _res, next) => next(new ApiError(404, 'not_found', `no route ${req.method} ${req.path}`)));
  app.use(errorHandler(deps.logger));
  return app;
}
