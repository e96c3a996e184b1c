import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hostKey } from '../../src/contracts/host-identity.js';
import type { WatchedHost } from '../../src/contracts/watch.js';
import { readBatches } from '../../src/watch/source-poller.js';

const MINUTE = 60_000;
const NOW = 1_800_000_000_000;

/** A plan as the poller makes one: its hosts, each read from its own cursor, up to the plan's end. */
const planArb = fc
  .record({
    hosts: fc.uniqueArray(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 8 }),
    cursors: fc.array(fc.integer({ min: 0, max: 120 }), { minLength: 8, maxLength: 8 }),
    untilAgo: fc.integer({ min: 0, max: 5 }),
    polledAgo: fc.integer({ min: 1, max: 30 }),
    known: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
  })
  .map(({ hosts, cursors, untilAgo, polledAgo, known }) => {
    const watched = hosts.map((n): WatchedHost => ({ hostname: `ws-${n}`, ip: `10.20.0.${n}`, baseline: 'ready' }));
    return {
      hosts: watched,
      readFrom: new Map(watched.map((host, index) => [hostKey(host), NOW - (cursors[index] ?? 0) * MINUTE])),
      coveredUntil: new Map(watched.flatMap((host, index) => (known[index] ? [[hostKey(host), NOW - polledAgo * MINUTE] as const] : []))),
      until: NOW - untilAgo * MINUTE,
    };
  });

describe('the batches one poll reads', () => {
  it('name every host once, no more than the batch size each, and cover what every plan still needs of it', () => {
    fc.assert(
      fc.property(fc.array(planArb, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 10 }), (plans, size) => {
        const batches = readBatches(plans, size);
        const named = batches.flatMap((batch) => batch.hosts.map(hostKey));
        expect(new Set(named).size).toBe(named.length);
        expect(new Set(named)).toEqual(new Set(plans.flatMap((plan) => plan.hosts.map(hostKey))));
        for (const batch of batches) expect(batch.hosts.length).toBeLessThanOrEqual(size);
        for (const plan of plans) {
          for (const host of plan.hosts) {
            const batch = batches.find((each) => each.hosts.some((named) => hostKey(named) === hostKey(host)))!;
            expect(batch.from).toBeLessThanOrEqual(plan.readFrom.get(hostKey(host))!);
            expect(batch.to).toBeGreaterThanOrEqual(plan.until);
          }
        }
      }),
    );
  });

  it('are covered only where every plan holding each of their hosts read it before, and no further than the earliest such read', () => {
    fc.assert(
      fc.property(fc.array(planArb, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 10 }), (plans, size) => {
        for (const batch of readBatches(plans, size)) {
          const holding = batch.hosts.flatMap((host) => plans.filter((plan) => plan.hosts.some((held) => hostKey(held) === hostKey(host))).map((plan) => plan.coveredUntil.get(hostKey(host))));
          if (holding.some((until) => until === undefined)) expect(batch.coveredUntil).toBeUndefined();
          else expect(batch.coveredUntil).toBe(Math.min(...(holding as number[])));
        }
      }),
    );
  });

  it('put hosts with old cursors together: stale hosts widen at most the one batch they share with fresh ones', () => {
    const fresh = (n: number): WatchedHost => ({ hostname: `fresh-${n}`, baseline: 'ready' });
    const stale: WatchedHost = { hostname: 'stale', baseline: 'ready' };
    const plan = (hosts: WatchedHost[], from: number) => ({ hosts, readFrom: new Map(hosts.map((host) => [hostKey(host), from])), coveredUntil: new Map<string, number>(), until: NOW });
    const batches = readBatches([plan([fresh(1), fresh(2), fresh(3)], NOW - MINUTE), plan([stale], NOW - 60 * MINUTE), plan([fresh(4)], NOW - MINUTE)], 2);
    expect(batches.map(({ hosts, from }) => [hosts.map((host) => host.hostname), (NOW - from) / MINUTE])).toEqual([
      [['stale', 'fresh-1'], 60],
      [['fresh-2', 'fresh-3'], 1],
      [['fresh-4'], 1],
    ]);
  });
});
