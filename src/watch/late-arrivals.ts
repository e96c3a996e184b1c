import type { Redis } from 'ioredis';

/**
 * A source's observed lag: events a read delivered for the first time although they happened before the source's
 * previous successful read were not ingested then. Their delay to this read bounds the lag from above (they arrived
 * some time between the two reads). Only the previous read's look-back range counts: older events come from hosts
 * read for the first time (a merge), not from late ingestion.
 */
export class LateArrivals {
  private constructor(
    private readonly redis: Redis,
    private readonly seenKey: string,
    private readonly range: { from: number; to: number },
    private readonly known: ReadonlySet<string>,
  ) {}

  /** Takes note of the watch's recorded events in the look-back range of the previous read, before a new read. */
  static async before(redis: Redis, seenKey: string, previousRead: { at: number; from: number }): Promise<LateArrivals> {
    const range = { from: previousRead.from, to: previousRead.at };
    const known = new Set(await redis.zrangebyscore(seenKey, range.from, `(${range.to}`));
    return new LateArrivals(redis, seenKey, range, known);
  }

  /** The longest delay, to `readAt`, of the events recorded since `before` in that range; undefined when none. */
  async lagAt(readAt: number): Promise<number | undefined> {
    const recorded = await this.redis.zrangebyscore(this.seenKey, this.range.from, `(${this.range.to}`, 'WITHSCORES');
    let lag: number | undefined;
    for (let index = 0; index + 1 < recorded.length; index += 2) {
      if (this.known.has(recorded[index]!)) continue;
      lag = Math.max(lag ?? 0, readAt - Number(recorded[index + 1]));
    }
    return lag;
  }
}
