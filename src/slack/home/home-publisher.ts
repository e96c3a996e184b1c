import type { webApi } from '@slack/bolt';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../../lib/keys.js';
import type { Logger } from '../../lib/logger.js';
import type { WatchStore } from '../../stores/watch-store.js';
import type { WatchViews } from '../../watch/watch-view.js';
import { homeView } from './home-view.js';

/** Viewers who have not opened the Home tab for this long are no longer refreshed (they get it fresh on opening). */
const VIEWER_TTL_MS = 30 * 86_400_000;
const MAX_VIEWERS = 500;

export interface HomePublisherOptions {
  client: webApi.WebClient;
  redis: Redis;
  keys: RedisKeys;
  store: WatchStore;
  views: WatchViews;
  logger: Logger;
  now?: () => number;
}

/** Publishes the App Home board: to a user who opens it, and to every recent viewer when a watch changes. */
export class HomePublisher {
  private readonly now: () => number;

  constructor(private readonly options: HomePublisherOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Remembers a viewer, so later changes reach their Home tab too. */
  async opened(userId: string): Promise<void> {
    await this.options.redis.zadd(this.options.keys.slackHomeViewers, this.now(), userId);
  }

  async publish(userId: string): Promise<void> {
    await this.options.client.views.publish({ user_id: userId, view: await this.board() });
  }

  async refresh(): Promise<void> {
    const { redis, keys, client, logger } = this.options;
    await redis.zremrangebyscore(keys.slackHomeViewers, '-inf', this.now() - VIEWER_TTL_MS);
    const viewers = await redis.zrevrange(keys.slackHomeViewers, 0, MAX_VIEWERS - 1);
    if (viewers.length === 0) return;
    const view = await this.board();
    for (const userId of viewers) {
      try {
        await client.views.publish({ user_id: userId, view });
      } catch (error) {
        // One user who left the workspace must not keep the others' boards stale.
        logger.warn({ user: userId, err: error instanceof Error ? error.message : String(error) }, 'App Home refresh failed for one user');
      }
    }
  }

  private async board() {
    const watches = await this.options.store.list('active');
    const views = await Promise.all(watches.map((watch) => this.options.views.build(watch)));
    return homeView(views, this.now());
  }
}
