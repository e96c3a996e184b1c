import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import * as z from 'zod';
import type { RedisKeys } from '../../lib/keys.js';
import { LuaScript } from '../../lib/lua-script.js';

/**
 * Where the Slack messages of a watch live: one Redis hash per watch (`keys.slackMessages(watchId)`), one field per
 * message. A field holds either the posted message's reference (JSON) or a claim taken before posting:
 *
 * - `pending:<token>:<epoch ms>`: a worker is posting now. It renews the time while it waits (for example on a 429),
 *   so a claim only goes stale when its worker died.
 * - `unsure:<token>:<epoch ms>`: the post failed in a way that leaves open whether Slack created the message
 *   (a 5xx, a timeout). The next attempt looks the token up in Slack before posting again.
 *
 * The claim makes "post once" hold across workers: only the worker that set the claim posts; others get a
 * `MessagePendingError` and retry later, by which time the reference is there and they edit instead.
 */

export const STATUS_SLOT = 'status';
export const VERDICT_SLOT = 'verdict';
export const findingSlot = (findingId: string): string => `finding:${findingId}`;
/** A one-off note in the thread (who extended, who escalated), keyed by the interaction that caused it. */
export const noteSlot = (key: string): string => `note:${key}`;

export const MessageRefSchema = z.object({
  channel: z.string().min(1),
  ts: z.string().min(1),
  /** Hash of the last rendered body; an edit that would not change it is skipped. */
  hash: z.string(),
  /** The `updated_at`/`last_seen` of what was rendered, so an older rendering never overwrites a newer one. */
  version: z.string().optional(),
  /** The status message shows the watch closed; later non-closing renders are ignored. */
  final: z.boolean().optional(),
});
export type MessageRef = z.infer<typeof MessageRefSchema>;

/** What a previous claim holder left: the token it put in the message metadata, when it may have posted. */
export interface PreviousClaim {
  token: string;
  state: 'pending' | 'unsure';
  /** Epoch ms of the claim's last renewal. */
  at: number;
}

export type Slot =
  | { kind: 'absent' }
  | { kind: 'posted'; ref: MessageRef; raw: string }
  | ({ kind: 'claimed'; raw: string } & PreviousClaim);

/**
 * Thrown when another worker is posting the same message right now. Retryable: the job should try again after
 * `retryAfterMs`, when it will find the message and edit it.
 */
export class MessagePendingError extends Error {
  override readonly name = 'MessagePendingError';
  readonly retryable = true;

  constructor(
    readonly watchId: string,
    readonly slot: string,
    readonly retryAfterMs: number,
  ) {
    super(`Slack message ${slot} of watch ${watchId} is being posted by another worker; retry in ${retryAfterMs} ms`);
  }
}

export interface PostSteps {
  /** Creates the message; `token` goes into the message metadata so that a later attempt can find it. */
  post(token: string): Promise<{ channel: string; ts: string }>;
  /** Finds a message an earlier holder may have created, by its token; undefined when there is none. */
  recover(previous: PreviousClaim): Promise<{ channel: string; ts: string } | undefined>;
  /** True when a failed `post` may nevertheless have created the message. */
  isAmbiguous(error: unknown): boolean;
}

export interface PublishResult {
  ref: MessageRef;
  /** The field's value as stored, for a compare-and-set when the message is edited. */
  raw: string;
  /** This call posted the message, or found one an earlier attempt had posted without recording it. */
  created: boolean;
  /** The message was found by its token rather than posted; its content may be older than this rendering. */
  recovered: boolean;
}

export interface MessageStoreOptions {
  redis: Redis;
  keys: RedisKeys;
  /** A `pending` claim not renewed for this long belongs to a dead worker and is taken over. @defaultValue 60_000 */
  staleAfterMs?: number;
  /** @defaultValue `Date.now` */
  now?: () => number;
}

/** Sets the field to ARGV[3] (or deletes it when empty) only while it still equals ARGV[2]. */
const REPLACE_IF_EQUAL = new LuaScript(`
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current ~= ARGV[2] then return 0 end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
return 1`);

/** Same, but matches a claim by its token whatever its state and renewal time (ARGV[2] is the token). */
const REPLACE_IF_CLAIMED_BY = new LuaScript(`
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return 0 end
local owned = string.sub(current, 1, 9 + #ARGV[2]) == ('pending:' .. ARGV[2] .. ':')
if not owned then return 0 end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
return 1`);

const CLAIM_PATTERN = /^(pending|unsure):([0-9a-f-]{36}):(\d+)$/;
const MAX_CONTENTION_ROUNDS = 5;

export class MessageStore {
  private readonly redis: Redis;
  private readonly keys: RedisKeys;
  private readonly staleAfterMs: number;
  private readonly now: () => number;

  constructor(options: MessageStoreOptions) {
    this.redis = options.redis;
    this.keys = options.keys;
    this.staleAfterMs = options.staleAfterMs ?? 60_000;
    this.now = options.now ?? Date.now;
    if (this.staleAfterMs < 1_000) throw new Error('staleAfterMs must be at least 1000 ms');
  }

  async read(watchId: string, slot: string): Promise<Slot> {
    const raw = await this.redis.hget(this.keys.slackMessages(watchId), slot);
    return parseSlot(watchId, slot, raw);
  }

  /**
   * Returns the message of `slot`, posting it first if nobody has. Throws `MessagePendingError` while another
   * worker holds a fresh claim, and whatever `post` threw when posting failed (the claim is then released, or
   * marked `unsure` when `isAmbiguous` says the message may exist).
   */
  async publishOnce(
    watchId: string,
    slot: string,
    steps: PostSteps,
    describe: Omit<MessageRef, 'channel' | 'ts'>,
  ): Promise<PublishResult> {
    const key = this.keys.slackMessages(watchId);
    for (let round = 0; round < MAX_CONTENTION_ROUNDS; round++) {
      const current = await this.read(watchId, slot);
      if (current.kind === 'posted') return { ref: current.ref, raw: current.raw, created: false, recovered: false };

      const token = randomUUID();
      const claim = `pending:${token}:${this.now()}`;
      let previous: PreviousClaim | undefined;
      if (current.kind === 'absent') {
        if ((await this.redis.hsetnx(key, slot, claim)) === 0) continue;
      } else {
        const age = this.now() - current.at;
        if (current.state === 'pending' && age < this.staleAfterMs) {
          throw new MessagePendingError(watchId, slot, Math.max(1_000, this.staleAfterMs - age));
        }
        if (!(await this.replaceIfEqual(key, slot, current.raw, claim))) continue;
        previous = { token: current.token, state: current.state, at: current.at };
      }
      return this.postUnderClaim(key, slot, token, previous, steps, describe);
    }
    throw new MessagePendingError(watchId, slot, 1_000);
  }

  /** Records an edit; false when the field changed meanwhile (another worker edited), which is harmless. */
  async replaceRef(watchId: string, slot: string, expectedRaw: string, ref: MessageRef): Promise<boolean> {
    return this.replaceIfEqual(this.keys.slackMessages(watchId), slot, expectedRaw, JSON.stringify(ref));
  }

  private async postUnderClaim(
    key: string,
    slot: string,
    token: string,
    previous: PreviousClaim | undefined,
    steps: PostSteps,
    describe: Omit<MessageRef, 'channel' | 'ts'>,
  ): Promise<PublishResult> {
    const renew = setInterval(() => {
      this.replaceIfClaimedBy(key, slot, token, `pending:${token}:${this.now()}`).catch(() => undefined);
    }, Math.floor(this.staleAfterMs / 3));
    renew.unref();
    let posted: { channel: string; ts: string } | undefined;
    let recovered = false;
    if (previous !== undefined) {
      try {
        posted = await steps.recover(previous);
        recovered = posted !== undefined;
      } catch (error) {
        clearInterval(renew);
        // Keep the earlier token, or the next attempt would look up ours and miss a message the earlier one made.
        await this.replaceIfClaimedBy(key, slot, token, `unsure:${previous.token}:${previous.at}`);
        throw error;
      }
    }
    try {
      posted ??= await steps.post(token);
    } catch (error) {
      clearInterval(renew);
      const next = steps.isAmbiguous(error) ? `unsure:${token}:${this.now()}` : '';
      await this.replaceIfClaimedBy(key, slot, token, next);
      throw error;
    }
    clearInterval(renew);
    // A recovered message shows whatever the earlier attempt rendered: an empty hash makes the caller edit it.
    const ref: MessageRef = { ...describe, hash: recovered ? '' : describe.hash, channel: posted.channel, ts: posted.ts };
    const raw = JSON.stringify(ref);
    // Losing this write means a worker took the claim over as stale; it looks our token up before posting again.
    await this.replaceIfClaimedBy(key, slot, token, raw);
    return { ref, raw, created: true, recovered };
  }

  private async replaceIfEqual(key: string, field: string, expected: string, next: string): Promise<boolean> {
    return (await REPLACE_IF_EQUAL.run(this.redis, [key], [field, expected, next])) === 1;
  }

  private async replaceIfClaimedBy(key: string, field: string, token: string, next: string): Promise<boolean> {
    return (await REPLACE_IF_CLAIMED_BY.run(this.redis, [key], [field, token, next])) === 1;
  }
}

function parseSlot(watchId: string, slot: string, raw: string | null): Slot {
  if (raw === null) return { kind: 'absent' };
  const claim = CLAIM_PATTERN.exec(raw);
  if (claim) {
    return { kind: 'claimed', raw, state: claim[1] === 'unsure' ? 'unsure' : 'pending', token: claim[2] ?? '', at: Number(claim[3]) };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  const ref = MessageRefSchema.safeParse(parsed);
  if (!ref.success) throw new Error(`Slack message record ${slot} of watch ${watchId} is corrupt: ${raw.slice(0, 80)}`);
  return { kind: 'posted', ref: ref.data, raw };
}
