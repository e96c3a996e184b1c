import type { Logger } from '../../lib/logger.js';
import type { FindingStore } from '../../stores/finding-store.js';
import type { WatchStore } from '../../stores/watch-store.js';
import type { WatchViews } from '../../watch/watch-view.js';
import type { SlackAuthorizer } from '../authorizer.js';
import type { SlackReplies } from '../delivery/slack-replies.js';
import type { HomePublisher } from '../home/home-publisher.js';
import type { SlackQueue } from '../queue/slack-queue.js';
import type { SlackSettings } from '../../config/slack-settings.js';
import type { InteractionLedger } from './interaction-ledger.js';

/** What the API's Slack listeners need: reads for answers within 3 s, and the queue for everything that changes. */
export interface SlackListenerDeps {
  store: WatchStore;
  findings: FindingStore;
  views: WatchViews;
  queue: SlackQueue;
  ledger: InteractionLedger;
  authorizer: SlackAuthorizer;
  replies: SlackReplies;
  home: HomePublisher;
  settings: SlackSettings;
  logger: Logger;
  now?: () => number;
}
