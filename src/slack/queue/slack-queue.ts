import { Queue, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { DELIVERY_RETRIES } from '../../queue/delivery-backoff.js';
import { EVENT_STREAM } from '../../queue/event-stream.js';
import { QUEUE } from '../../queue/jobs.js';
import { SLACK_JOB, type SlackActionJob } from './slack-jobs.js';

/** A refresh waits this long, so a burst of watch changes publishes the App Home once. */
const HOME_REFRESH_DELAY_MS = 1_000;
/** App Home jobs follow every watch change; only the last few are worth keeping. */
const HOME_RETENTION = { removeOnComplete: { count: 100 } };

/**
 * The `{slack}` queue: responders' actions and App Home publications. Completed actions are kept a day by age only,
 * so an action's job id (derived from the Slack interaction) also stops a late Slack retry from doing it twice.
 */
export class SlackQueue {
  readonly queue: Queue;

  constructor(connection: Redis | ConnectionOptions, prefix: string) {
    this.queue = new Queue(QUEUE.slack, {
      connection,
      prefix,
      defaultJobOptions: {
        removeOnComplete: { age: 24 * 3600 },
        removeOnFail: { count: 5_000, age: 7 * 24 * 3600 },
        ...DELIVERY_RETRIES,
      },
      streams: EVENT_STREAM,
    });
  }

  async action(job: SlackActionJob): Promise<void> {
    await this.queue.add(SLACK_JOB.action, job, { jobId: `action-${job.ref}` });
  }

  /** Publishes one user's App Home; opening it again while one is waiting folds into that one. */
  async publishHome(userId: string): Promise<void> {
    await this.queue.add(SLACK_JOB.home, { user_id: userId }, { ...HOME_RETENTION, deduplication: { id: `home-${userId}`, keepLastIfActive: true } });
  }

  /** Refreshes every recent viewer's App Home; requests during a refresh fold into one follow-up. */
  async refreshHomes(): Promise<void> {
    await this.queue.add(SLACK_JOB.homeRefresh, {}, { ...HOME_RETENTION, delay: HOME_REFRESH_DELAY_MS, deduplication: { id: 'home-refresh', keepLastIfActive: true } });
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
