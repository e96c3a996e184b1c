import { webApi } from '@slack/bolt';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AppConfig } from '../config/load.js';
import { parseDuration } from '../contracts/duration.js';
import { slackJobs } from '../jobs/index.js';
import { startWorkers } from '../jobs/workers.js';
import type { RedisKeys } from '../lib/keys.js';
import type { Logger } from '../lib/logger.js';
import { isRedisUnavailable } from '../lib/redis-errors.js';
import type { WatchQueues } from '../queue/queues.js';
import type { Reporter } from '../report/reporter.js';
import { ChannelPacer } from '../slack/delivery/channel-pacer.js';
import { webClientLogger } from '../slack/delivery/slack-logger.js';
import { createSlackReporter, type SlackReporterOptions } from '../slack/delivery/slack-reporter.js';
import { InteractionLedger } from '../slack/app/interaction-ledger.js';
import { createSlackApp, type SlackInteractivity } from '../slack/app/slack-app.js';
import { SlackAuthorizer } from '../slack/authorizer.js';
import { SlackReplies } from '../slack/delivery/slack-replies.js';
import { HomePublisher } from '../slack/home/home-publisher.js';
import { withHomeRefresh } from '../slack/home/home-refresh.js';
import { SlackMembership } from '../slack/membership.js';
import { slackActions } from '../slack/messages/buttons.js';
import { SlackQueue } from '../slack/queue/slack-queue.js';
import type { FindingStore } from '../stores/finding-store.js';
import { WatchService } from '../watch/watch-service.js';
import type { WatchStore } from '../stores/watch-store.js';
import type { WatchViews } from '../watch/watch-view.js';
import type { WorkerParts } from './worker-parts.js';

/** Buttons, modals, the slash command and the App Home need a bot token and a way in: signing secret or app token. */
export const slackInteractive = (config: AppConfig): boolean =>
  config.env.SLACK_BOT_TOKEN !== undefined && (config.env.SLACK_SIGNING_SECRET !== undefined || config.env.SLACK_APP_TOKEN !== undefined);

const botTokenOf = (config: AppConfig): string => {
  if (config.env.SLACK_BOT_TOKEN === undefined) throw new Error('SLACK_BOT_TOKEN is not set');
  return config.env.SLACK_BOT_TOKEN;
};

export function channelPacerFor(config: AppConfig, redis: Redis, keys: RedisKeys): ChannelPacer {
  return new ChannelPacer({ redis, keys, intervalMs: parseDuration(config.file.slack.delivery.channel_interval) ?? 1_000 });
}

/** The outgoing reporter's options: paced per channel, buttons when interactive, channel problems shown on the watch. */
export function slackReporterOptions(
  config: AppConfig,
  deps: { redis: Redis; keys: RedisKeys; logger: Logger; store: WatchStore; queues: WatchQueues },
): SlackReporterOptions {
  const { redis, keys, logger, store, queues } = deps;
  return {
    token: botTokenOf(config),
    apiUrl: config.env.SLACK_API_URL,
    defaultChannel: config.defaults.slackChannel,
    redis,
    keys,
    logger,
    pacer: channelPacerFor(config, redis, keys),
    onChannelProblem: async (watchId, problem) => {
      await store.saveSlackDelivery(watchId, problem);
      await queues.sync(watchId);
    },
    ...(slackInteractive(config) ? { actions: slackActions } : {}),
  };
}

function webClient(config: AppConfig, logger: Logger, options: webApi.WebClientOptions): webApi.WebClient {
  return new webApi.WebClient(botTokenOf(config), {
    ...(config.env.SLACK_API_URL === undefined ? {} : { slackApiUrl: config.env.SLACK_API_URL }),
    logger: webClientLogger(logger),
    ...options,
  });
}

function authorizerFor(config: AppConfig, client: webApi.WebClient, redis: Redis, keys: RedisKeys): SlackAuthorizer {
  const settings = config.file.slack;
  const membership = new SlackMembership({ client, redis, keys, ttlMs: parseDuration(settings.membership_cache) ?? 60_000 });
  return new SlackAuthorizer({ settings: settings.authorized, membership, defaultChannel: config.defaults.slackChannel });
}

/** Replies are courtesy messages sent at most once: no automatic retry, and a 429 comes back to be paced. */
function repliesFor(config: AppConfig, redis: Redis, keys: RedisKeys, logger: Logger): SlackReplies {
  const client = webClient(config, logger, { retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: 10_000 });
  return new SlackReplies({ client, pacer: channelPacerFor(config, redis, keys), redis, keys, logger });
}

export interface SlackApiParts extends SlackInteractivity {
  close(): Promise<void>;
}

/** The API process' Slack side: Bolt's listeners, which answer within 3 s and queue every change. */
export function createSlackApi(
  config: AppConfig,
  deps: { redis: Redis; queueConnection: Redis; keys: RedisKeys; store: WatchStore; findings: FindingStore; views: WatchViews; logger: Logger },
): SlackApiParts {
  const { redis, keys, logger } = deps;
  // Listeners answer Slack within 3 s: a look-up gets one quick retry, never a long wait.
  const client = webClient(config, logger, { retryConfig: { retries: 1, minTimeout: 100, maxTimeout: 500 }, timeout: 2_500 });
  const queue = new SlackQueue(deps.queueConnection, keys.bullPrefix);
  // The connection logs its own errors; this only keeps BullMQ from dumping them (see `startApi`).
  queue.queue.on('error', (error) => {
    if (!isRedisUnavailable(error)) logger.warn({ queue: queue.queue.name, error: error.name, message: error.message }, 'queue error');
  });
  const app = createSlackApp({
    botToken: botTokenOf(config),
    signingSecret: config.env.SLACK_SIGNING_SECRET,
    appToken: config.env.SLACK_APP_TOKEN,
    apiUrl: config.env.SLACK_API_URL,
    logger,
    deps: {
      store: deps.store,
      findings: deps.findings,
      views: deps.views,
      queue,
      ledger: new InteractionLedger(redis, keys),
      authorizer: authorizerFor(config, client, redis, keys),
      replies: repliesFor(config, redis, keys, logger),
      home: new HomePublisher({ client, redis, keys, store: deps.store, views: deps.views, logger }),
      settings: config.file.slack,
      logger,
    },
  });
  return {
    router: app.router,
    start: () => app.start(),
    async close() {
      await app.close();
      await queue.close();
    },
  };
}

export interface SlackWorkerParts {
  /** Adds App Home refreshes to the watch reporter. */
  decorate(reporter: Reporter): Reporter;
  /** Starts the `{slack}` queue's worker on the worker's parts. */
  start(parts: WorkerParts, concurrency: number): Worker[];
  close(): Promise<void>;
}

/** The worker process' Slack side: responders' actions, thread notes, App Home publications. */
export function createSlackWorker(config: AppConfig, redis: Redis, keys: RedisKeys, logger: Logger): SlackWorkerParts {
  const queue = new SlackQueue(redis, keys.bullPrefix);
  const client = webClient(config, logger, { retryConfig: webApi.retryPolicies.fiveRetriesInFiveMinutes });
  return {
    decorate: (reporter) => withHomeRefresh(reporter, () => queue.refreshHomes()),
    start(parts, concurrency) {
      const { store, findings, views, queues } = parts;
      const service = new WatchService({
        redis,
        keys,
        store,
        scheduler: queues,
        defaults: config.defaults,
        sourceIds: config.sources.map((source) => source.id),
        logger,
      });
      const home = new HomePublisher({ client, redis, keys, store, views, logger });
      const jobs = slackJobs({
        action: {
          store,
          findings,
          views,
          queues,
          service,
          allowRules: parts.allowRules,
          authorizer: authorizerFor(config, client, redis, keys),
          replies: repliesFor(config, redis, keys, logger),
          notes: createSlackReporter(slackReporterOptions(config, { redis, keys, logger, store, queues })),
          settings: config.file.slack,
          logger,
        },
        home: { home },
        homeRefresh: { home },
      });
      return startWorkers(jobs, { connection: redis, prefix: keys.bullPrefix, concurrency, logger });
    },
    close: () => queue.close(),
  };
}
