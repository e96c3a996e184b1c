import { describe, expect, it } from 'vitest';
import { IntervalGate } from '../../src/sources/sentinelone/status-gate.js';

describe('the query-status gate', () => {
  it('lets the next request go only an interval after the previous one ended, however late that one went out', async () => {
    const gate = new IntervalGate(100);
    await gate.acquire();
    const next = gate.acquire().then(() => Date.now());
    // The first request is still out (held up on its way, or slow to answer) well past one interval.
    let endedAt = 0;
    await new Promise<void>((resolve) =>
      setTimeout(() => {
        endedAt = Date.now();
        gate.settled();
        resolve();
      }, 250),
    );
    expect((await next) - endedAt).toBeGreaterThanOrEqual(99);
  });

  it('serves waiters in the order they asked', async () => {
    const gate = new IntervalGate(1);
    const order: number[] = [];
    const turns = [0, 1, 2].map((index) =>
      gate.acquire().then(() => {
        order.push(index);
        gate.settled();
      }),
    );
    await Promise.all(turns);
    expect(order).toEqual([0, 1, 2]);
  });

  it('a caller that gives up waiting passes its turn on, and the queue keeps moving', async () => {
    const gate = new IntervalGate(1);
    await gate.acquire();
    const controller = new AbortController();
    const abandoned = gate.acquire(controller.signal);
    const after = gate.acquire();
    controller.abort(new Error('poll cancelled'));
    await expect(abandoned).rejects.toThrow('poll cancelled');
    gate.settled();
    await expect(after).resolves.toBeUndefined();
  });
});
