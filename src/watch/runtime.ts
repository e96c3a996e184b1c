import type { Redis } from 'ioredis';
import type { BaselineServices } from '../baseline/services.js';
import type { DetectionSettings } from '../detect/settings.js';
import type { RedisKeys } from '../lib/keys.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { WatchQueues } from '../queue/queues.js';
import type { Reporter } from '../report/reporter.js';
import type { SourceConnector } from '../sources/types.js';
import type { AllowRuleStore } from '../stores/allow-rule-store.js';
import type { SettlePolicy } from '../rules/catch-up.js';
import type { FindingStore } from '../stores/finding-store.js';
import type { HeardTimeline } from '../stores/heard-timeline.js';
import type { WatchStore } from '../stores/watch-store.js';
import type { WatchViews } from './watch-view.js';

/** Everything the watch jobs need, built once per process by the composition root (src/runtime). */
export interface WatchRuntime {
  redis: Redis;
  keys: RedisKeys;
  store: WatchStore;
  findings: FindingStore;
  /** When each watched host was heard from, minute by minute: mid-window blindness. */
  heard: HeardTimeline;
  views: WatchViews;
  queues: WatchQueues;
  connectors: ReadonlyMap<string, SourceConnector>;
  /** Per source: how long its telemetry takes to settle, which the close waits for. Default: none is waited for. */
  settle?: ReadonlyMap<string, SettlePolicy>;
  detection: DetectionSettings;
  /** Per-host baselines reused across watches and each source's estate prevalence. */
  baselines: BaselineServices;
  /** Allow-rules responders added from Slack, applied on top of `detection.allow`. */
  allowRules: AllowRuleStore;
  reporter: Reporter;
  logger: Logger;
  metrics: Metrics;
}
