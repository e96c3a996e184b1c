import type { ChainableCommander, Redis } from 'ioredis';

/**
 * Reads of several stores sent to Redis in one round trip. Each store queues its commands and gets back a function
 * that decodes their replies once the batch is sent. A poll shard reads its watches, their health and the source's
 * pause and pace this way: one socket write instead of four, and each write costs more CPU than the decoding it
 * saves. Every product key carries the same hash tag, so one pipeline suits a Redis Cluster too.
 */
export class BatchedReads {
  private readonly pipeline: ChainableCommander;
  private replies: unknown[] | undefined;

  constructor(redis: Redis) {
    this.pipeline = redis.pipeline();
  }

  /** `queue` adds commands to the batch; the function returned hands their replies, in order, to `decode`. */
  add<T>(queue: (pipeline: ChainableCommander) => void, decode: (replies: unknown[]) => T): () => T {
    const start = this.pipeline.length;
    queue(this.pipeline);
    const end = this.pipeline.length;
    return () => {
      if (this.replies === undefined) throw new Error('a batched read was decoded before the batch was sent');
      return decode(this.replies.slice(start, end));
    };
  }

  /** Sends every queued command; the first command that failed fails the batch. */
  async send(): Promise<void> {
    const results = (await this.pipeline.exec()) ?? [];
    this.replies = results.map(([error, reply]) => {
      if (error) throw error;
      return reply;
    });
  }
}

/** One read on its own: `read` queues it on a batch of its own, which is sent at once. */
export async function readNow<T>(redis: Redis, read: (batch: BatchedReads) => () => T): Promise<T> {
  const batch = new BatchedReads(redis);
  const decoded = read(batch);
  await batch.send();
  return decoded();
}
