import { createHash } from 'node:crypto';
import { webApi } from '@slack/bolt';
import type { Redis } from 'ioredis';
import * as z from 'zod';
import type { Finding } from '../../contracts/finding.js';
import type { WatchView } from '../../contracts/watch.js';
import type { RedisKeys } from '../../lib/keys.js';
import type { Logger } from '../../lib/logger.js';
import type { SlackDeliveryProblem } from '../../contracts/watch.js';
import type { Reporter } from '../../report/reporter.js';
import { AS_WRITTEN, NO_PREVIEWS, type ActionsBuilder, type SlackMessage } from '../render/block-kit.js';
import { pacedSend, type ChannelPacer, type PaceLane } from './channel-pacer.js';
import { findingMessage, statusMessage, verdictMessage } from '../render/blocks.js';
import { SlackDeliveryError, isAmbiguousFailure, isChannelError, platformErrorCode, toDeliveryError } from './errors.js';
import {
  MessagePendingError,
  MessageStore,
  STATUS_SLOT,
  VERDICT_SLOT,
  findingSlot,
  noteSlot,
  type MessageRef,
  type PreviousClaim,
  type PublishResult,
} from './message-store.js';
import { webClientLogger } from './slack-logger.js';

export interface SlackReporterOptions {
  /** Bot token (`xoxb-…`); sent only in the Authorization header, never logged. */
  token: string;
  /** Web API base URL (`SLACK_API_URL`). @defaultValue `https://slack.com/api/` */
  apiUrl?: string;
  /**
   * Channel for watches that name none, and the fallback when the named channel is missing or the bot is not in it
   * (`SLACK_DEFAULT_CHANNEL`). Without it those watches fail with a `SlackDeliveryError`.
   */
  defaultChannel?: string;
  redis: Redis;
  keys: RedisKeys;
  logger: Logger;
  /**
   * Retry policy of the WebClient for idempotent calls (`chat.update`, look-ups): 429s wait for `Retry-After`, 5xx
   * and network errors back off. Posts are never retried on 5xx (see `createSlackReporter`); they wait out 429s up to
   * `retries` times. @defaultValue `webApi.retryPolicies.fiveRetriesInFiveMinutes`
   */
  retryConfig?: webApi.RetryOptions;
  /** Per-request timeout, so a hung request cannot hold a message claim forever. @defaultValue 30_000 */
  timeoutMs?: number;
  /** A claim not renewed for this long belongs to a dead worker and is taken over. @defaultValue 60_000 */
  claimStaleAfterMs?: number;
  /** Extra blocks for messages (the buttons seam). @defaultValue none */
  actions?: ActionsBuilder;
  /**
   * Per-channel pacing shared by every worker (posts and edits wait for their slot; a 429 holds the channel off for
   * everyone). @defaultValue none: each call is sent at once and a 429 is waited out by this process alone
   */
  pacer?: ChannelPacer;
  /** Told when the incident channel could not be used and the default channel was used instead. @defaultValue none */
  onChannelProblem?: (watchId: string, problem: SlackDeliveryProblem) => Promise<void>;
  /** @defaultValue `Date.now` */
  now?: () => number;
}

const DEFAULT_API_URL = 'https://slack.com/api/';
const METADATA_EVENT = 'containment_watch_message';
/** How far before a claim's last renewal an unrecorded post may have happened. */
const RECOVERY_LOOKBACK_MS = 60 * 60_000;

const MessagesSchema = z.object({
  messages: z
    .array(
      z.object({
        ts: z.string(),
        metadata: z.object({ event_type: z.string().optional(), event_payload: z.record(z.string(), z.unknown()).optional() }).optional(),
      }),
    )
    .optional(),
});

/** What a rendering says, without its block ids: they are new on every rendering, and alone are no reason to edit. */
const digest = (message: SlackMessage): string =>
  createHash('sha256')
    .update(JSON.stringify(message, (key, value: unknown) => (key === 'block_id' ? undefined : value)))
    .digest('hex')
    .slice(0, 32);


function isOlder(version: string | undefined, than: string | undefined): boolean {
  if (version === undefined || than === undefined) return false;
  const a = Date.parse(version);
  const b = Date.parse(than);
  return !Number.isNaN(a) && !Number.isNaN(b) && a < b;
}

interface Described {
  hash: string;
  version?: string;
  final?: boolean;
}

/** The Slack reporter, plus notes in a watch's thread for what responders did. */
export interface SlackThreadReporter extends Reporter {
  /**
   * Posts `message` once as a reply in the watch's thread (posting the status message first if there is none yet);
   * calling again with the same `key` edits that reply instead.
   */
  publishNote(view: WatchView, key: string, message: SlackMessage): Promise<void>;
}

class SlackReporter implements SlackThreadReporter {
  private readonly client: webApi.WebClient;
  private readonly editor: webApi.WebClient;
  private readonly poster: webApi.WebClient;
  private readonly store: MessageStore;
  private readonly log: Logger;
  private readonly rateLimitRetries: number;
  private readonly now: () => number;

  constructor(private readonly options: SlackReporterOptions) {
    const retryConfig = options.retryConfig ?? webApi.retryPolicies.fiveRetriesInFiveMinutes;
    const common = {
      slackApiUrl: options.apiUrl ?? DEFAULT_API_URL,
      logger: webClientLogger(options.logger),
      timeout: options.timeoutMs ?? 30_000,
    };
    this.client = new webApi.WebClient(options.token, { ...common, retryConfig });
    // Edits are retried on 5xx (an edit is idempotent), but a 429 comes back here so the whole channel is held off.
    this.editor = new webApi.WebClient(options.token, { ...common, retryConfig, rejectRateLimitedCalls: true });
    // The WebClient retries 5xx and network errors of every method, and a post is not idempotent: this client makes
    // one attempt and reports a 429 instead of waiting, so `postMessage` below decides what is safe to repeat.
    this.poster = new webApi.WebClient(options.token, { ...common, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
    this.rateLimitRetries = retryConfig.retries ?? 10;
    this.now = options.now ?? Date.now;
    this.log = options.logger.child({ component: 'slack-reporter' });
    this.store = new MessageStore({
      redis: options.redis,
      keys: options.keys,
      now: this.now,
      ...(options.claimStaleAfterMs === undefined ? {} : { staleAfterMs: options.claimStaleAfterMs }),
    });
  }

  async publishStatus(view: WatchView): Promise<void> {
    await this.syncStatus(view, true);
  }

  async publishFinding(view: WatchView, finding: Finding): Promise<void> {
    const status = await this.syncStatus(view, false);
    const message = findingMessage(view, finding, this.buildOptions());
    const slot = findingSlot(finding.id);
    await this.publishReply(view, slot, status, message, { hash: digest(message), version: finding.last_seen }, false);
  }

  async publishVerdict(view: WatchView, findings: readonly Finding[]): Promise<void> {
    const status = await this.syncStatus(view, true);
    const message = verdictMessage(view, findings, this.buildOptions());
    await this.publishReply(view, VERDICT_SLOT, status, message, { hash: digest(message), version: view.updated_at }, true);
  }

  async publishNote(view: WatchView, key: string, message: SlackMessage): Promise<void> {
    const status = await this.syncStatus(view, false);
    await this.publishReply(view, noteSlot(key), status, message, { hash: digest(message) }, false);
  }

  async close(): Promise<void> {
    // The WebClients hold no sockets of their own (fetch pools them) and Redis belongs to the caller.
  }

  private buildOptions() {
    return { now: this.now(), ...(this.options.actions === undefined ? {} : { actions: this.options.actions }) };
  }

  /** Posts the status message if needed; with `edit`, also brings it up to date. */
  private async syncStatus(view: WatchView, edit: boolean): Promise<MessageRef> {
    const channel = view.slack_channel ?? this.options.defaultChannel;
    if (channel === undefined) {
      throw new SlackDeliveryError(
        `Watch ${view.id} (incident ${view.incident_id}) has no slack_channel and no default channel is configured (SLACK_DEFAULT_CHANNEL)`,
        { method: 'chat.postMessage', code: 'no_channel', retryable: false, watchId: view.id },
      );
    }
    const message = statusMessage(view, this.buildOptions());
    const described: Described = { hash: digest(message), version: view.updated_at, ...(view.state === 'closed' ? { final: true } : {}) };
    const result = await this.publishOnce(view, STATUS_SLOT, described, {
      post: (token) => this.postStatus(view, channel, message, token),
      recover: (previous) => this.findTopLevel(view, channel, previous),
    });
    if (result.created && !result.recovered) {
      this.log.info({ watch_id: view.id, incident_id: view.incident_id, channel: result.ref.channel, ts: result.ref.ts }, 'status message posted');
    }
    return edit || result.recovered ? this.edit(view, STATUS_SLOT, result, message, described) : result.ref;
  }

  private async publishReply(
    view: WatchView,
    slot: string,
    status: MessageRef,
    message: SlackMessage,
    described: Described,
    broadcast: boolean,
  ): Promise<void> {
    const reply = (token: string) => ({
      channel: status.channel,
      thread_ts: status.ts,
      text: message.text,
      blocks: message.blocks,
      metadata: this.metadata(view, slot, token),
      ...NO_PREVIEWS,
    });
    const result = await this.publishOnce(view, slot, described, {
      post: (token) => this.postMessage(view, broadcast ? { ...reply(token), reply_broadcast: true } : reply(token)),
      recover: (previous) => this.findInThread(view, status, previous),
    });
    if (result.created && !result.recovered) {
      this.log.info({ watch_id: view.id, incident_id: view.incident_id, slot, ts: result.ref.ts }, 'threaded reply posted');
    }
    await this.edit(view, slot, result, message, described);
  }

  private async publishOnce(
    view: WatchView,
    slot: string,
    described: Described,
    steps: { post(token: string): Promise<{ channel: string; ts: string }>; recover(previous: PreviousClaim): Promise<{ channel: string; ts: string } | undefined> },
  ): Promise<PublishResult> {
    try {
      return await this.store.publishOnce(view.id, slot, { ...steps, isAmbiguous: isAmbiguousFailure }, described);
    } catch (error) {
      if (error instanceof MessagePendingError) throw error;
      if (isAmbiguousFailure(error)) {
        this.log.warn(
          { watch_id: view.id, incident_id: view.incident_id, slot, error: error instanceof Error ? error.message : String(error) },
          'Slack post failed ambiguously; the next attempt checks whether it landed before posting again',
        );
      }
      throw toDeliveryError('chat.postMessage', view.id, error);
    }
  }

  /** Edits the message when the rendering changed; never replaces a newer or final rendering with an older one. */
  private async edit(view: WatchView, slot: string, result: PublishResult, message: SlackMessage, described: Described): Promise<MessageRef> {
    const { ref } = result;
    if (ref.hash === described.hash) return ref;
    if (ref.final === true && described.final !== true) return ref;
    if (isOlder(described.version, ref.version)) return ref;
    try {
      await this.paced('edit', view, ref.channel, () =>
        this.editor.chat.update({ channel: ref.channel, ts: ref.ts, text: message.text, blocks: message.blocks, ...AS_WRITTEN }),
      );
    } catch (error) {
      throw toDeliveryError('chat.update', view.id, error);
    }
    const next: MessageRef = { ...ref, ...described };
    await this.store.replaceRef(view.id, slot, result.raw, next);
    return next;
  }

  private async postStatus(view: WatchView, channel: string, message: SlackMessage, token: string): Promise<{ channel: string; ts: string }> {
    const post = (to: string) =>
      this.postMessage(view, {
        channel: to,
        text: message.text,
        blocks: message.blocks,
        metadata: this.metadata(view, STATUS_SLOT, token),
        ...NO_PREVIEWS,
      });
    try {
      return await post(channel);
    } catch (error) {
      if (!isChannelError(error)) throw error;
      const code = platformErrorCode(error) ?? 'channel_not_found';
      const fallback = this.options.defaultChannel;
      if (fallback === undefined || fallback === channel) {
        throw new SlackDeliveryError(
          `Cannot post to Slack channel ${channel} for watch ${view.id} (incident ${view.incident_id}): ${code}. ` +
            'Invite the bot to the channel, or set SLACK_DEFAULT_CHANNEL as a fallback.',
          { method: 'chat.postMessage', code, retryable: false, watchId: view.id, cause: error },
        );
      }
      this.log.warn(
        { watch_id: view.id, incident_id: view.incident_id, channel, fallback_channel: fallback, error: code },
        'incident channel unusable; posting to the default channel',
      );
      const posted = await post(fallback);
      // The message exists now: failing to record the problem must not make the claim protocol post it again.
      await this.options
        .onChannelProblem?.(view.id, { problem: code, channel, fallback_channel: fallback, at: new Date(this.now()).toISOString() })
        .catch((error: Error) => this.log.warn({ watch_id: view.id, err: error.message }, 'could not record the channel problem on the watch'));
      return posted;
    }
  }

  /** One post: 429s wait for Retry-After; anything else is thrown for the claim protocol to classify. */
  private async postMessage(view: WatchView, args: webApi.ChatPostMessageArguments): Promise<{ channel: string; ts: string }> {
    const response = await this.paced('post', view, args.channel, () => this.poster.chat.postMessage(args));
    if (response.ts === undefined || response.channel === undefined) {
      throw new Error('Slack chat.postMessage answered ok without channel and ts');
    }
    return { channel: response.channel, ts: response.ts };
  }

  private paced<T>(lane: PaceLane, view: WatchView, channel: string, send: () => Promise<T>): Promise<T> {
    return pacedSend(this.options.pacer, lane, channel, send, {
      rateLimitRetries: this.rateLimitRetries,
      onRateLimited: (retryAfterS) =>
        this.log.info({ watch_id: view.id, channel, lane, retry_after_s: retryAfterS }, 'Slack rate limit; waiting before sending'),
    });
  }

  private metadata(view: WatchView, slot: string, token: string) {
    return { event_type: METADATA_EVENT, event_payload: { watch_id: view.id, slot, token } };
  }

  private async findTopLevel(view: WatchView, channel: string, previous: PreviousClaim): Promise<{ channel: string; ts: string } | undefined> {
    const channels = [...new Set([channel, this.options.defaultChannel].filter((name): name is string => name !== undefined))];
    for (const candidate of channels) {
      const found = await this.lookUp(view, previous, candidate, () =>
        this.client.conversations.history({
          channel: candidate,
          oldest: ((previous.at - RECOVERY_LOOKBACK_MS) / 1_000).toFixed(6),
          include_all_metadata: true,
          limit: 200,
        }),
      );
      if (found !== undefined) return found;
    }
    return undefined;
  }

  private async findInThread(view: WatchView, status: MessageRef, previous: PreviousClaim): Promise<{ channel: string; ts: string } | undefined> {
    return this.lookUp(view, previous, status.channel, () =>
      this.client.conversations.replies({
        channel: status.channel,
        ts: status.ts,
        oldest: ((previous.at - RECOVERY_LOOKBACK_MS) / 1_000).toFixed(6),
        include_all_metadata: true,
        limit: 200,
      }),
    );
  }

  /**
   * Looks for the message an earlier attempt may have posted. A transient failure is thrown (the claim keeps the
   * earlier token for the next try); a permanent one, such as a missing `channels:history` scope, is logged and
   * treated as "not found", accepting a possible duplicate over a lost message.
   */
  private async lookUp(
    view: WatchView,
    previous: PreviousClaim,
    channel: string,
    call: () => Promise<unknown>,
  ): Promise<{ channel: string; ts: string } | undefined> {
    let response: unknown;
    try {
      response = await call();
    } catch (error) {
      const delivery = toDeliveryError('conversations lookup', view.id, error);
      if (delivery.retryable) throw delivery;
      this.log.warn(
        { watch_id: view.id, incident_id: view.incident_id, channel, error: delivery.code },
        'cannot check whether an earlier Slack post landed; posting again',
      );
      return undefined;
    }
    const parsed = MessagesSchema.safeParse(response);
    const match = parsed.success
      ? parsed.data.messages?.find(
          (message) => message.metadata?.event_type === METADATA_EVENT && message.metadata.event_payload?.token === previous.token,
        )
      : undefined;
    if (match === undefined) return undefined;
    this.log.info({ watch_id: view.id, incident_id: view.incident_id, channel, ts: match.ts }, 'found the message an earlier attempt posted');
    return { channel, ts: match.ts };
  }
}

/**
 * A Reporter that tells a watch's story in Slack: one status message edited in place, one threaded reply per
 * finding, the verdict in the thread and broadcast to the channel.
 *
 * Delivery: the WebClient honours 429 Retry-After. `chat.update` and look-ups are retried on 5xx and network errors
 * (an edit is idempotent). `chat.postMessage` is never retried on those, since Slack may have created the message:
 * the Redis claim is marked `unsure`, the error is thrown for the job to retry, and the retry finds the message by the
 * token in its metadata (`conversations.history`/`replies`, which need the `channels:history`/`groups:history`
 * scopes) before posting again.
 */
export function createSlackReporter(options: SlackReporterOptions): SlackThreadReporter {
  return new SlackReporter(options);
}
