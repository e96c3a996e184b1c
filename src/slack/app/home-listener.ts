import type { App } from '@slack/bolt';
import type { SlackListenerDeps } from './listener-deps.js';

/** Opening the Home tab publishes the board for that user, and keeps them on the list of boards to refresh. */
export function registerHomeListener(app: App, deps: SlackListenerDeps): void {
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== 'home') return;
    await deps.home.opened(event.user);
    await deps.queue.publishHome(event.user);
  });
}
