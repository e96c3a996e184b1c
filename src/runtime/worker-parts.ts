import type { Redis } from 'ioredis';
import type { BaselineServices } from '../baseline/services.js';
import type { DetectionSettings } from '../detect/settings.js';
import type { RedisKeys } from '../lib/keys.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { WatchQueues } from '../queue/queues.js';
import type { Reporter } from '../report/reporter.js';
import type { SettlePolicy } from '../rules/catch-up.js';
import type { SourceConnector } from '../sources/types.js';
import type { AllowRuleStore } from '../stores/allow-rule-store.js';
import type { FindingStore } from '../stores/finding-store.js';
import type { HeardTimeline } from '../stores/heard-timeline.js';
import type { WatchStore } from '../stores/watch-store.js';
import type { WatchViews } from '../watch/watch-view.js';

/** What a worker process is made of; each job is handed only the parts it names (`jobDepsOf`). */
export interface WorkerParts {
  redis: Redis;
  keys: RedisKeys;
  store: WatchStore;
  findings: FindingStore;
  heard: HeardTimeline;
  views: WatchViews;
  queues: WatchQueues;
  connectors: ReadonlyMap<string, SourceConnector>;
  settle: ReadonlyMap<string, SettlePolicy>;
  detection: DetectionSettings;
  baselines: BaselineServices;
  allowRules: AllowRuleStore;
  reporter: Reporter;
  logger: Logger;
  metrics: Metrics;
}
