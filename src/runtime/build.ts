import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createBaselineServices } from '../baseline/services.js';
import { baselinePolicyOf } from '../baseline/settings.js';
import type { AppConfig } from '../config/load.js';
import { DetectionSettingsSchema, type DetectionSettings } from '../detect/settings.js';
import { redisKeys, type RedisKeys } from '../lib/keys.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import { WatchQueues } from '../queue/queues.js';
import { createConsoleReporter } from '../report/console-reporter.js';
import type { Reporter } from '../report/reporter.js';
import { createSlackReporter } from '../slack/delivery/slack-reporter.js';
import { RedisRequestBudget, unlimitedBudget } from '../sources/http/request-budget.js';
import { connectorFor } from '../sources/registry.js';
import { sourceFingerprint } from '../sources/source-fingerprint.js';
import type { SourceConnector } from '../sources/types.js';
import { wellFormedConnector, type RepairCallback } from '../sources/well-formed.js';
import { AllowRuleStore } from '../stores/allow-rule-store.js';
import { FindingStore } from '../stores/finding-store.js';
import { HeardTimeline } from '../stores/heard-timeline.js';
import { settlePolicies } from '../rules/catch-up.js';
import { WatchStore } from '../stores/watch-store.js';
import { WatchViews } from '../watch/watch-view.js';
import { SourcePoller, type SourcePollerDeps } from '../watch/source-poller.js';
import type { JobDeps } from '../jobs/index.js';
import { slackReporterOptions } from './slack.js';
import { PollPaceStore } from '../stores/poll-pace-store.js';
import type { WorkerParts } from './worker-parts.js';

export const keysFor = (config: AppConfig): RedisKeys => redisKeys(config.env.CW_PREFIX);

export function detectionSettingsOf(config: AppConfig): DetectionSettings {
  return DetectionSettingsSchema.parse({
    allow: config.file.allow,
    networks: config.file.networks,
    ports: config.file.ports,
    tuning: config.file.detection,
  });
}

export function publicUrlOf(config: AppConfig): string {
  return config.env.PUBLIC_URL ?? `http://127.0.0.1:${config.env.PORT}`;
}

/** Every configured source, each behind the well-formed-strings boundary (lone surrogates become U+FFFD, counted). */
export function createConnectors(config: AppConfig, redis: Redis, keys: RedisKeys, logger: Logger, metrics?: Metrics): Map<string, SourceConnector> {
  const connectors = new Map<string, SourceConnector>();
  for (const source of config.sources) {
    const module = connectorFor(source.type);
    if (!module) throw new Error(`unknown source type ${source.type}`);
    const budget =
      source.rate_limit_per_minute === undefined
        ? unlimitedBudget
        : new RedisRequestBudget({ redis, keyPrefix: keys.prefix, sourceId: source.id, requestsPerMinute: source.rate_limit_per_minute });
    const sourceLogger = logger.child({ source: source.id });
    const onRepair = repairCounter(sourceLogger, metrics);
    connectors.set(source.id, atBoundary(module.create(source, { logger: sourceLogger, budget, onRepair }), sourceLogger, metrics));
  }
  return connectors;
}

/** Counts what the boundary replaced: invalid UTF-8 in a body (`utf8`), lone surrogates per connector call. */
function repairCounter(logger: Logger, metrics?: Metrics): RepairCallback {
  return ({ source, method, replaced }) => {
    metrics?.stringsRepaired.inc({ source, method }, replaced);
    logger.warn({ source, method, replaced }, 'malformed text in a vendor answer replaced with U+FFFD');
  };
}

/** A connector behind the boundary every vendor answer crosses: strings made well-formed, replacements counted. */
export function atBoundary(connector: SourceConnector, logger: Logger, metrics?: Metrics): SourceConnector {
  return wellFormedConnector(connector, repairCounter(logger, metrics));
}

/** Slack when a bot token is configured; otherwise the console and, if configured, a JSON-lines file. */
export function createReporter(
  config: AppConfig,
  deps: { redis: Redis; keys: RedisKeys; logger: Logger; out: NodeJS.WritableStream; store: WatchStore; queues: WatchQueues },
): Reporter {
  const { env } = config;
  if (env.SLACK_BOT_TOKEN) return createSlackReporter(slackReporterOptions(config, deps));
  return createConsoleReporter({ out: deps.out, jsonlPath: env.FINDINGS_JSONL, redis: deps.redis, keys: deps.keys, logger: deps.logger });
}

/** Builds the parts of a worker process, once. */
export function createWorkerParts(options: {
  config: AppConfig;
  redis: Redis;
  logger: Logger;
  metrics: Metrics;
  reporterOut?: NodeJS.WritableStream;
  decorateReporter?: (reporter: Reporter) => Reporter;
}): WorkerParts {
  const { config, redis, logger, metrics } = options;
  const keys = keysFor(config);
  const store = new WatchStore(redis, keys);
  const findings = new FindingStore(redis, keys);
  const queues = new WatchQueues(redis, keys.bullPrefix);
  return {
    redis,
    keys,
    store,
    findings,
    heard: new HeardTimeline(redis, keys),
    views: new WatchViews(store, findings, publicUrlOf(config)),
    queues,
    connectors: createConnectors(config, redis, keys, logger, metrics),
    settle: settlePolicies(config.sources),
    detection: detectionSettingsOf(config),
    baselines: createBaselineServices(
      redis,
      keys,
      baselinePolicyOf(config.file.baselines),
      new Map(config.sources.map((source) => [source.id, sourceFingerprint(source)])),
    ),
    allowRules: new AllowRuleStore(redis, keys),
    reporter: (options.decorateReporter ?? ((reporter: Reporter) => reporter))(
      createReporter(config, { redis, keys, logger, out: options.reporterOut ?? process.stdout, store, queues }),
    ),
    logger,
    metrics,
  };
}

export const pollerDepsOf = (parts: WorkerParts): SourcePollerDeps => ({
  redis: parts.redis,
  keys: parts.keys,
  store: parts.store,
  findings: parts.findings,
  heard: parts.heard,
  connectors: parts.connectors,
  detection: parts.detection,
  allowRules: parts.allowRules,
  scheduler: parts.queues,
  logger: parts.logger,
  metrics: parts.metrics,
});

/** Per source settings the jobs apply. */
export interface SourceJobSettings {
  /** How often a source is probed while a terminal failure pauses its polling (default 5 min). */
  reprobeMs?: ReadonlyMap<string, number>;
  /** The vendor requests admitted per minute across every worker (absent: no limit). */
  requestsPerMinute?: ReadonlyMap<string, number>;
}

/** Each job's dependencies. */
export function jobDepsOf(parts: WorkerParts, { reprobeMs, requestsPerMinute = new Map() }: SourceJobSettings = {}): JobDeps {
  const { redis, keys, store, findings, heard, views, queues, connectors, settle, detection, baselines, reporter, logger } = parts;
  const poller = new SourcePoller(pollerDepsOf(parts), reprobeMs);
  const publisher = { store, findings, views, reporter };
  return {
    baseline: { store, connectors, baselines, detection, scheduler: queues, logger },
    close: { store, findings, heard, settle, poller, scheduler: queues, logger },
    reconcile: { redis, keys, store, scheduler: queues, logger },
    poll: { poller, queues, paces: new PollPaceStore(redis, keys), requestsPerMinute, metrics: parts.metrics },
    pollShard: { poller, queues },
    prevalence: { connectors, baselines, detection, logger },
    sync: publisher,
    verdict: publisher,
  };
}

export const newWorkerId = (): string => `${process.pid}-${randomUUID().slice(0, 8)}`;
