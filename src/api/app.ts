import express, { type Express, type NextFunction, type Request, type Response, type Router } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import type { RedisKeys } from '../lib/keys.js';
import type { Metrics } from '../lib/metrics.js';
import type { AllowRuleStore } from '../stores/allow-rule-store.js';
import type { FindingStore } from '../stores/finding-store.js';
import type { WatchService } from '../watch/watch-service.js';
import type { WatchStore } from '../stores/watch-store.js';
import type { WatchViews } from '../watch/watch-view.js';
import type { ApiScope } from '../contracts/api-scope.js';
import type { AuditActor } from '../contracts/watch.js';
import { authenticate, authorize, type AuthConfig, type Caller } from './auth.js';
import { rawBody, rawBodyOf } from './body.js';
import { ApiError, errorHandler, foldedWarning, sendError, storeUnavailable } from './errors.js';
import { openApiDocument } from './openapi.js';
import { replayGuard } from './replay-guard.js';
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
  /**
   * True while every Redis connection the `/v1` routes use is connected; when false, a request is answered 503 at
   * once instead of waiting for a reconnection. @defaultValue the status of `redis`
   */
  redisReady?: () => boolean;
  /** A `/v1` request not answered within this many ms gets 503 with Retry-After. @defaultValue 5000 */
  requestDeadlineMs?: number;
}

export const REQUEST_DEADLINE_MS = 5_000;

const callerOf = (res: Response): Caller => res.locals.caller as Caller;

/** The authenticated caller's name, for rate limits and logs. */
export const principalOf = (res: Response): string => callerOf(res).name;

/** Refuses the request unless its caller holds `scope`; the scope is then what the audit trail records. */
export const requireScope =
  (scope: ApiScope) =>
  (req: Request, res: Response, next: NextFunction): void => {
    authorize(callerOf(res), scope, `${req.method} ${req.baseUrl}${req.route?.path ?? req.path}`);
    res.locals.scope = scope;
    next();
  };

/** The caller as the audit trail names it: its name and the scope the endpoint required. */
export const auditActorOf = (res: Response): AuditActor => ({ actor: callerOf(res).name, scope: res.locals.scope as ApiScope });

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

  app.use(healthRoutes(deps));
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  if (deps.slackRouter) app.use(deps.slackRouter);
  app.use('/v1', rawBody, requireAuth, withDeadline(deps.requestDeadlineMs ?? REQUEST_DEADLINE_MS, deps.logger));
  const redisReady = deps.redisReady ?? (() => deps.redis.status === 'ready');
  // Redis is down or reconnecting: say so now, rather than let the request wait out its reconnection attempts.
  app.use('/v1', (_req, _res, next) => next(redisReady() ? undefined : storeUnavailable()));
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
