import type { Router } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import type { RedisKeys } from '../lib/keys.js';
import type { Metrics } from '../lib/metrics.js';
import type { AllowRuleStore } from '../stores/allow-rule-store.js';
import type { FindingStore } from '../stores/finding-store.js';
import type { WatchStore } from '../stores/watch-store.js';
import type { WatchService } from '../watch/watch-service.js';
import type { WatchViews } from '../watch/watch-view.js';
import type { AuthConfig } from './auth.js';

/** What the HTTP API is built from (the composition root gives it). */
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
   * The ioredis status of every Redis connection the `/v1` routes use, by name. While any is not `ready`, a request is
   * answered 503 at once instead of waiting for a reconnection, and `/readyz` names it. @defaultValue `redis`'s, as `api`
   */
  redisConnections?: () => Record<string, string>;
  /** A `/v1` request not answered within this many ms gets 503 with Retry-After. @defaultValue 5000 */
  requestDeadlineMs?: number;
}
