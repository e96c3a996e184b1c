import { App, ExpressReceiver, SocketModeReceiver, type Receiver } from '@slack/bolt';
import { Router } from 'express';
import type { Logger } from '../../lib/logger.js';
import { webClientLogger } from '../delivery/slack-logger.js';
import { registerActionListeners } from './action-listeners.js';
import { registerCommandListener } from './command-listener.js';
import { registerHomeListener } from './home-listener.js';
import type { SlackListenerDeps } from './listener-deps.js';
import { registerViewListeners } from './view-listeners.js';

export const SLACK_EVENTS_PATH = '/slack/events';

export interface SlackAppOptions {
  botToken: string;
  /** HTTP mode: Bolt checks every request's signature with it (`SLACK_SIGNING_SECRET`). */
  signingSecret?: string | undefined;
  /** Socket Mode when set (`SLACK_APP_TOKEN`, `xapp-…`); no public endpoint is needed then. */
  appToken?: string | undefined;
  /** Web API base (`SLACK_API_URL`). @defaultValue `https://slack.com/api/` */
  apiUrl?: string | undefined;
  logger: Logger;
  deps: SlackListenerDeps;
}

/** The Slack side of the API process: in HTTP mode a router to mount, in Socket Mode a connection to start. */
export interface SlackInteractivity {
  /** Serves `POST /slack/events` (HTTP mode only): mount it before any body parser, Bolt reads its own raw body. */
  readonly router: Router | undefined;
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Builds the Bolt app. No `auth.test` at start (the token is handed over by `authorize`), no conversation store
 * (several API processes share nothing in memory), and every Web API call goes to `apiUrl`.
 */
export function createSlackApp(options: SlackAppOptions): SlackInteractivity {
  const logger = webClientLogger(options.logger, 'slack-bolt');
  const clientOptions = options.apiUrl === undefined ? {} : { slackApiUrl: options.apiUrl };
  const authorize = async () => ({ botToken: options.botToken });
  let receiver: Receiver;
  let router: Router | undefined;
  if (options.appToken !== undefined) {
    receiver = new SocketModeReceiver({ appToken: options.appToken, logger, installerOptions: { clientOptions } });
  } else if (options.signingSecret !== undefined) {
    router = Router();
    receiver = new ExpressReceiver({ signingSecret: options.signingSecret, router, endpoints: SLACK_EVENTS_PATH, logger });
  } else {
    throw new Error('Slack interactivity needs SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN (Socket Mode)');
  }
  const app = new App({ receiver, authorize, convoStore: false, clientOptions, logger });
  app.error(async (error) => {
    options.logger.error({ err: error.message, code: (error as { code?: string }).code }, 'Slack listener failed');
  });
  registerActionListeners(app, options.deps);
  registerViewListeners(app, options.deps);
  registerCommandListener(app, options.deps);
  registerHomeListener(app, options.deps);

  const socketMode = options.appToken !== undefined;
  return {
    router,
    async start() {
      if (!socketMode) return;
      // Not awaited: during a Slack outage the client retries for as long as it takes, and the webhook must not wait.
      app.start().catch((error: Error) => options.logger.error({ err: error.message }, 'Slack Socket Mode connection failed'));
    },
    async close() {
      if (socketMode) await app.stop().catch(() => undefined);
    },
  };
}
