import type { Logger } from '../../lib/logger.js';
import type { WatchQueues } from '../../queue/queues.js';
import type { SlackThreadReporter } from '../delivery/slack-reporter.js';
import type { AllowRuleStore } from '../../stores/allow-rule-store.js';
import type { FindingStore } from '../../stores/finding-store.js';
import type { WatchService } from '../../watch/watch-service.js';
import type { WatchStore } from '../../stores/watch-store.js';
import type { WatchViews } from '../../watch/watch-view.js';
import type { SlackAuthorizer } from '../authorizer.js';
import type { SlackReplies } from '../delivery/slack-replies.js';
import type { SlackSettings } from '../../config/slack-settings.js';

/** What a worker needs to carry out responders' actions. */
export interface SlackActionDeps {
  store: WatchStore;
  findings: FindingStore;
  views: WatchViews;
  queues: WatchQueues;
  service: WatchService;
  allowRules: AllowRuleStore;
  authorizer: SlackAuthorizer;
  replies: SlackReplies;
  /** Posts notes in the watch's thread (escalations, extensions, stops), once per interaction. */
  notes: SlackThreadReporter;
  settings: SlackSettings;
  logger: Logger;
  now?: () => number;
}
