import type { Redis } from 'ioredis';
import type { Watch } from '../contracts/watch.js';
import { hostLabel } from '../contracts/host-identity.js';
import type { RedisKeys } from '../lib/keys.js';
import { heardBitmap, longestSilence, type Silence } from '../rules/silence.js';
import { RECORD_HEARD_SCRIPT } from './record-heard-script.js';
import { LuaScript } from '../lib/lua-script.js';

const RECORD_HEARD = new LuaScript(RECORD_HEARD_SCRIPT);

/** The field of the heard hash that holds the start of the timeline: no host label is empty. */
const START_FIELD = '';

/**
 * The per-minute "heard from" bitmaps of a watch's hosts in Redis, in one hash per watch; every source and worker
 * ORs its minutes into the same one. Watches polled by versions that kept a key per host read those too.
 */
export class HeardTimeline {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /**
   * Marks the minutes of `times` as heard for each host label, from a poll that read from `readFrom`. The first
   * poll's `readFrom` is kept as the start of the timeline: a watch opened by an older version, without one, is
   * never judged on minutes nobody recorded.
   */
  async record(watch: Pick<Watch, 'id' | 'blocked_at'>, readFrom: number, timesByHost: ReadonlyMap<string, readonly number[]>): Promise<void> {
    const start = Date.parse(watch.blocked_at);
    const byLabel = new Map<string, number[]>();
    for (const [label, times] of timesByHost) byLabel.set(label.toLowerCase(), [...(byLabel.get(label.toLowerCase()) ?? []), ...times]);
    const args: (string | Buffer)[] = [String(Math.max(start, readFrom))];
    for (const [label, times] of byLabel) {
      const bitmap = heardBitmap(times, start);
      if (bitmap.length > 0) args.push(label, Buffer.from(bitmap));
    }
    await RECORD_HEARD.run(this.redis, [this.keys.heardMinutes(watch.id)], args);
  }

  /**
   * Each host's longest stretch with nothing heard, from the start of the timeline to the end of the window, by
   * lower-cased label; hosts never heard are absent (the verdict names them otherwise).
   */
  async silences(watch: Watch): Promise<Map<string, Silence>> {
    const labels = watch.hosts.map((host) => hostLabel(host).toLowerCase());
    const pipeline = this.redis.pipeline().get(this.keys.heardFrom(watch.id)).hgetallBuffer(this.keys.heardMinutes(watch.id));
    for (const label of labels) pipeline.getBuffer(this.keys.heard(watch.id, label));
    const replies = ((await pipeline.exec()) ?? []).map(([error, reply]) => {
      if (error) throw error;
      return reply;
    });
    const [legacyFrom, heard, ...legacyBitmaps] = replies as [string | null, Record<string, Buffer>, ...(Buffer | null)[]];
    const silences = new Map<string, Silence>();
    const recordedFrom = legacyFrom ?? heard[START_FIELD]?.toString('utf8');
    if (recordedFrom === undefined) return silences;
    const blockedAt = Date.parse(watch.blocked_at);
    const end = Date.parse(watch.expires_at);
    labels.forEach((label, index) => {
      const bitmap = either(heard[label], legacyBitmaps[index] ?? undefined);
      const silence = bitmap ? longestSilence(bitmap, blockedAt, end, Number(recordedFrom)) : undefined;
      if (silence) silences.set(label, silence);
    });
    return silences;
  }
}

/** The minutes heard in either bitmap. */
function either(a: Buffer | undefined, b: Buffer | undefined): Uint8Array | undefined {
  if (!a || !b) return a ?? b;
  const out = new Uint8Array(Math.max(a.length, b.length));
  out.forEach((_, index) => (out[index] = (a[index] ?? 0) | (b[index] ?? 0)));
  return out;
}
