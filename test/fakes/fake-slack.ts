import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type Request, type Response } from 'express';

/**
 * A loopback fake of the Slack Web API, speaking the wire format @slack/web-api 8 uses: POST
 * `application/x-www-form-urlencoded` with objects (blocks, metadata) as JSON strings, `Authorization: Bearer`, and
 * JSON answers `{ok, ...}` (HTTP 200 even for platform errors; 429 with Retry-After for rate limits).
 */

export interface FakeSlackCall {
  method: string;
  body: Record<string, unknown>;
  /** Epoch ms. */
  at: number;
}

export interface FakeSlackMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  reply_broadcast: boolean;
  text?: string;
  blocks?: unknown;
  metadata?: unknown;
  /** How many times chat.update changed it. */
  edits: number;
}

/** An ephemeral message (`chat.postEphemeral`): seen by `user` only. */
export interface FakeSlackEphemeral {
  channel: string;
  user: string;
  text?: string;
  blocks?: unknown;
}

/** A view opened (`views.open`), published (`views.publish`, App Home) or updated (`views.update`). */
export interface FakeSlackView {
  method: 'views.open' | 'views.publish' | 'views.update';
  trigger_id?: string;
  user_id?: string;
  view: Record<string, unknown>;
}

/** A POST the app made to a slash command's `response_url`. */
export interface FakeSlackResponse {
  id: string;
  body: Record<string, unknown>;
}

export type FakeSlackFailure =
  | { status: 429; retryAfter: number }
  /** `commit: true` performs the call before answering 500: the ambiguous failure a client cannot tell apart. */
  | { status: 500; commit?: boolean }
  | { error: string };

export interface FakeSlack {
  /** Base URL ending in `/api/`, for `SLACK_API_URL`. */
  readonly url: string;
  readonly calls: readonly FakeSlackCall[];
  /** Channels that answer `channel_not_found`. */
  readonly unknownChannels: Set<string>;
  /** Channels where the bot is not a member: posting answers `not_in_channel`. */
  readonly foreignChannels: Set<string>;
  /** Members of each channel, for `conversations.members`; an unlisted channel answers `channel_not_found`. */
  readonly channelMembers: Map<string, string[]>;
  /** Members of each user group, for `usergroups.users.list`; an unlisted group answers `no_such_subteam`. */
  readonly userGroups: Map<string, string[]>;
  /** Ephemeral messages, in order. */
  ephemerals(): FakeSlackEphemeral[];
  /** Views opened, published and updated, in order. */
  views(): FakeSlackView[];
  /** A `response_url` for a slash command payload; what is posted to it shows up in `responses()`. */
  responseUrl(id: string): string;
  responses(): FakeSlackResponse[];
  /** Messages created by chat.postMessage, in order, with their current content. */
  posts(): FakeSlackMessage[];
  /** Successful chat.update calls, in order. */
  updates(): FakeSlackCall[];
  /** Every message (top level and thread replies) in a channel, with its current content. */
  messagesIn(channel: string): FakeSlackMessage[];
  /** The next call of `method` fails as described (queued: call twice to fail twice). */
  failNext(method: string, failure: FakeSlackFailure): void;
  /** Holds every chat.postMessage (from now on, until released) before it is performed: a post in flight, for as long as a test needs. */
  holdPosts(): { release(): void };
  close(): Promise<void>;
}

export interface FakeSlackOptions {
  /** Delay before answering chat.postMessage, to make concurrent posts overlap. @defaultValue 0 */
  postLatencyMs?: number;
  /** What `apps.connections.open` hands out (a Socket Mode fake). @defaultValue none: `not_allowed_token_type` */
  socketModeUrl?: string;
}

const JSON_FIELDS = new Set(['blocks', 'attachments', 'metadata', 'view']);
const BOOLEAN_FIELDS = new Set(['reply_broadcast', 'include_all_metadata', 'unfurl_links', 'unfurl_media', 'as_user', 'link_names']);

/** Form bodies carry everything as strings; turn the JSON and boolean fields back into values. */
function normalise(body: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof body !== 'object' || body === null) return out;
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === 'string' && JSON_FIELDS.has(key)) {
      try {
        out[key] = JSON.parse(value);
      } catch {
        out[key] = value;
      }
    } else if (typeof value === 'string' && BOOLEAN_FIELDS.has(key)) {
      out[key] = value === 'true' || value === '1';
    } else {
      out[key] = value;
    }
  }
  return out;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const tsNumber = (ts: string): number => Number(ts);

export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const calls: FakeSlackCall[] = [];
  const messages: FakeSlackMessage[] = [];
  const updateCalls: FakeSlackCall[] = [];
  const failures = new Map<string, FakeSlackFailure[]>();
  let postsHeld: Promise<void> | undefined;
  const unknownChannels = new Set<string>();
  const foreignChannels = new Set<string>();
  const channelMembers = new Map<string, string[]>();
  const userGroups = new Map<string, string[]>();
  const ephemerals: FakeSlackEphemeral[] = [];
  const views: FakeSlackView[] = [];
  const responses: FakeSlackResponse[] = [];
  let lastSeconds = 0;
  let sequence = 0;

  const nextTs = (): string => {
    lastSeconds = Math.max(lastSeconds, Math.floor(Date.now() / 1000));
    sequence += 1;
    return `${lastSeconds}.${String(sequence).padStart(6, '0')}`;
  };

  const view = (message: FakeSlackMessage, withMetadata: boolean) => {
    const { metadata, edits: _edits, ...rest } = message;
    return withMetadata && metadata !== undefined ? { ...rest, metadata } : rest;
  };

  const handlers: Record<string, (body: Record<string, unknown>) => Record<string, unknown>> = {
    'chat.postMessage': (body) => {
      const channel = text(body.channel);
      if (channel === undefined) return { ok: false, error: 'channel_not_found' };
      if (unknownChannels.has(channel)) return { ok: false, error: 'channel_not_found' };
      if (foreignChannels.has(channel)) return { ok: false, error: 'not_in_channel' };
      const threadTs = text(body.thread_ts);
      if (threadTs !== undefined && !messages.some((message) => message.channel === channel && message.ts === threadTs)) {
        return { ok: false, error: 'thread_not_found' };
      }
      const message: FakeSlackMessage = {
        channel,
        ts: nextTs(),
        ...(threadTs === undefined ? {} : { thread_ts: threadTs }),
        reply_broadcast: body.reply_broadcast === true,
        ...(text(body.text) === undefined ? {} : { text: text(body.text) }),
        ...(body.blocks === undefined ? {} : { blocks: body.blocks }),
        ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
        edits: 0,
      };
      messages.push(message);
      return { ok: true, channel, ts: message.ts, message: view(message, false) };
    },
    'chat.update': (body) => {
      const channel = text(body.channel);
      const message = messages.find((candidate) => candidate.channel === channel && candidate.ts === text(body.ts));
      if (message === undefined) return { ok: false, error: 'message_not_found' };
      const newText = text(body.text);
      if (newText !== undefined) message.text = newText;
      if (body.blocks !== undefined) message.blocks = body.blocks;
      message.edits += 1;
      return { ok: true, channel: message.channel, ts: message.ts, text: message.text, message: view(message, false) };
    },
    'conversations.history': (body) => {
      const channel = text(body.channel);
      if (channel === undefined || unknownChannels.has(channel)) return { ok: false, error: 'channel_not_found' };
      const oldest = Number(text(body.oldest) ?? '0');
      const found = messages
        .filter((message) => message.channel === channel && message.thread_ts === undefined && tsNumber(message.ts) >= oldest)
        .sort((a, b) => tsNumber(b.ts) - tsNumber(a.ts))
        .map((message) => view(message, body.include_all_metadata === true));
      return { ok: true, messages: found, has_more: false };
    },
    'chat.postEphemeral': (body) => {
      const channel = text(body.channel);
      const user = text(body.user);
      if (channel === undefined || unknownChannels.has(channel)) return { ok: false, error: 'channel_not_found' };
      if (user === undefined) return { ok: false, error: 'user_not_found' };
      ephemerals.push({ channel, user, ...(text(body.text) === undefined ? {} : { text: text(body.text) }), ...(body.blocks === undefined ? {} : { blocks: body.blocks }) });
      return { ok: true, message_ts: nextTs() };
    },
    'apps.connections.open': () =>
      options.socketModeUrl === undefined ? { ok: false, error: 'not_allowed_token_type' } : { ok: true, url: options.socketModeUrl },
    'views.open': (body) => recordView('views.open', body),
    'views.publish': (body) => recordView('views.publish', body),
    'views.update': (body) => recordView('views.update', body),
    'usergroups.users.list': (body) => {
      const users = userGroups.get(text(body.usergroup) ?? '');
      return users === undefined ? { ok: false, error: 'no_such_subteam' } : { ok: true, users };
    },
    'conversations.members': (body) => {
      const members = channelMembers.get(text(body.channel) ?? '');
      return members === undefined ? { ok: false, error: 'channel_not_found' } : { ok: true, members, response_metadata: { next_cursor: '' } };
    },
    'conversations.replies': (body) => {
      const channel = text(body.channel);
      const parent = text(body.ts);
      const found = messages
        .filter((message) => message.channel === channel && (message.ts === parent || message.thread_ts === parent))
        .map((message) => view(message, body.include_all_metadata === true));
      if (found.length === 0) return { ok: false, error: 'thread_not_found' };
      return { ok: true, messages: found, has_more: false };
    },
  };

  function recordView(method: FakeSlackView['method'], body: Record<string, unknown>): Record<string, unknown> {
    const view = body.view;
    if (typeof view !== 'object' || view === null) return { ok: false, error: 'invalid_arguments' };
    if (method === 'views.open' && text(body.trigger_id) === undefined) return { ok: false, error: 'invalid_trigger_id' };
    views.push({
      method,
      view: view as Record<string, unknown>,
      ...(text(body.trigger_id) === undefined ? {} : { trigger_id: text(body.trigger_id) }),
      ...(text(body.user_id) === undefined ? {} : { user_id: text(body.user_id) }),
    });
    return { ok: true, view: { id: `V${String(views.length).padStart(8, '0')}`, ...(view as Record<string, unknown>) } };
  }

  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use(express.json());
  app.post('/respond/:id', (req: Request, res: Response) => {
    responses.push({ id: String(req.params.id), body: normalise(req.body) });
    res.json({ ok: true });
  });
  app.post('/api/:method', async (req: Request, res: Response) => {
    const method = String(req.params.method);
    const body = normalise(req.body);
    calls.push({ method, body, at: Date.now() });

    const authorization = req.get('authorization') ?? '';
    const token = method === 'apps.connections.open' ? /^Bearer xapp-\S+$/ : /^Bearer xoxb-\S+$/;
    if (!token.test(authorization)) {
      res.json({ ok: false, error: 'not_authed' });
      return;
    }
    if (method === 'chat.postMessage' && (options.postLatencyMs ?? 0) > 0) {
      await new Promise((resolve) => setTimeout(resolve, options.postLatencyMs));
    }
    if (method === 'chat.postMessage') await postsHeld;

    const failure = failures.get(method)?.shift();
    const handler = handlers[method] ?? (() => ({ ok: true }));
    if (failure !== undefined) {
      if ('error' in failure) {
        res.json({ ok: false, error: failure.error });
        return;
      }
      if (failure.status === 429) {
        res.status(429).set('Retry-After', String(failure.retryAfter)).json({ ok: false, error: 'ratelimited' });
        return;
      }
      if (failure.commit === true) handler(body);
      res.status(500).type('text/plain').send('internal server error');
      return;
    }
    const result = handler(body);
    if (method === 'chat.update' && result.ok === true) updateCalls.push({ method, body, at: Date.now() });
    res.json(result);
  });

  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/api/`,
    calls,
    unknownChannels,
    foreignChannels,
    channelMembers,
    userGroups,
    ephemerals: () => [...ephemerals],
    views: () => [...views],
    responseUrl: (id) => `http://127.0.0.1:${port}/respond/${encodeURIComponent(id)}`,
    responses: () => [...responses],
    posts: () => messages.map((message) => ({ ...message })),
    updates: () => [...updateCalls],
    messagesIn: (channel) => messages.filter((message) => message.channel === channel).map((message) => ({ ...message })),
    failNext(method, failure) {
      const queue = failures.get(method) ?? [];
      queue.push(failure);
      failures.set(method, queue);
    },
    holdPosts() {
      let release = () => {};
      postsHeld = new Promise<void>((resolve) => {
        release = () => {
          postsHeld = undefined;
          resolve();
        };
      });
      return { release };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
