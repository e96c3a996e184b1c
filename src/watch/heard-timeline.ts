import type { Redis } from 'ioredis';
import type { Watch } from '../contracts/watch.js';
import type { RedisKeys } from '../lib/keys.js';
import { longestSilence, slotOf, type Silence } from './silence.js';

const labelOf = (host: Watch['hosts'][number]): string => host.hostname ?? host.ip ?? host.edr_id ?? '?';

/** The per-minute "heard from" bitmaps of a watch's hosts in Redis; every source and worker sets bits in the same ones. */
export class HeardTimeline {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** Marks the minutes of `times` as heard for each host label. */
  async record(watch: Pick<Watch, 'id' | 'blocked_at'>, timesByHost: ReadonlyMap<string, readonly number[]>): Promise<void> {
    const start = Date.parse(watch.blocked_at);
    const pipeline = this.redis.pipeline();
    for (const [label, times] of timesByHost) {
      const key = this.keys.heard(watch.id, label.toLowerCase());
      for (const slot of new Set(times.map((time) => slotOf(time, start)))) if (slot >= 0) pipeline.setbit(key, slot, 1);
    }
    if (pipeline.length > 0) await pipeline.exec();
  }

  /** Each host's longest stretch of the window with nothing heard, by lower-cased label; hosts never heard are absent. */
  async silences(watch: Watch): Promise<Map<string, Silence>> {
    const start = Date.parse(watch.blocked_at);
    const end = Date.parse(watch.expires_at);
    const silences = new Map<string, Silence>();
    for (const host of watch.hosts) {
      const label = labelOf(host).toLowerCase();
      const bitmap = await this.redis.getBuffer(this.keys.heard(watch.id, label));
      const silence = bitmap ? longestSilence(bitmap, start, end) : undefined;
      if (silence) silences.set(label, silence);
    }
    return silences;
  }
}
