import type { Redis } from 'ioredis';
import type { Watch } from '../contracts/watch.js';
import { hostLabel } from '../contracts/host-identity.js';
import type { RedisKeys } from '../lib/keys.js';
import { longestSilence, slotOf, type Silence } from '../rules/silence.js';

/** The per-minute "heard from" bitmaps of a watch's hosts in Redis; every source and worker sets bits in the same ones. */
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
    const pipeline = this.redis.pipeline().set(this.keys.heardFrom(watch.id), Math.max(start, readFrom), 'NX');
    for (const [label, times] of timesByHost) {
      const key = this.keys.heard(watch.id, label.toLowerCase());
      for (const slot of new Set(times.map((time) => slotOf(time, start)))) if (slot >= 0) pipeline.setbit(key, slot, 1);
    }
    await pipeline.exec();
  }

  /**
   * Each host's longest stretch with nothing heard, from the start of the timeline to the end of the window, by
   * lower-cased label; hosts never heard are absent (the verdict names them otherwise).
   */
  async silences(watch: Watch): Promise<Map<string, Silence>> {
    const silences = new Map<string, Silence>();
    const recordedFrom = await this.redis.get(this.keys.heardFrom(watch.id));
    if (recordedFrom === null) return silences;
    const blockedAt = Date.parse(watch.blocked_at);
    const end = Date.parse(watch.expires_at);
    for (const host of watch.hosts) {
      const label = hostLabel(host).toLowerCase();
      const bitmap = await this.redis.getBuffer(this.keys.heard(watch.id, label));
      const silence = bitmap ? longestSilence(bitmap, blockedAt, end, Number(recordedFrom)) : undefined;
      if (silence) silences.set(label, silence);
    }
    return silences;
  }
}
