import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Watch } from '../../src/contracts/watch.js';
import { redisKeys } from '../../src/lib/keys.js';
import { HeardTimeline } from '../../src/stores/heard-timeline.js';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const MINUTE = 60_000;
const START = Date.parse('2026-11-29T10:00:00Z');

describe('heard timeline in Redis', () => {
  const prefix = uniquePrefix('heard');
  const keys = redisKeys(prefix);
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    redis.disconnect();
    await dropPrefix(prefix);
  });

  const watch = {
    id: 'w-heard',
    blocked_at: new Date(START).toISOString(),
    expires_at: new Date(START + 60 * MINUTE).toISOString(),
    hosts: [
      { hostname: 'FIN-WS-041', baseline: 'ready' },
      { hostname: 'FIN-WS-042', baseline: 'ready' },
      { ip: '10.20.1.43', baseline: 'ready' },
    ],
  } as Watch;
  const at = (...offsets: number[]) => offsets.map((offset) => START + offset * MINUTE + 1_000);

  it('any source hearing a host fills its minute: the longest stretch heard by none is its silence', async () => {
    const timeline = new HeardTimeline(redis, keys);
    const minutes = Array.from({ length: 60 }, (_, minute) => minute);
    // The EDR loses FIN-WS-042 from minute 15; the firewall still sees it until minute 30.
    await timeline.record(watch, START, new Map([['FIN-WS-041', at(...minutes)], ['FIN-WS-042', at(...minutes.filter((m) => m < 15 || m >= 50))]]));
    await timeline.record(watch, START, new Map([['fin-ws-042', at(...minutes.filter((m) => m >= 15 && m < 30))]]));
    await timeline.record(watch, START, new Map([['FIN-WS-041', at(-5)]]));

    const silences = await timeline.silences(watch);
    expect(silences.has('fin-ws-041')).toBe(false);
    expect(silences.get('fin-ws-042')).toEqual({ from: START + 30 * MINUTE, to: START + 50 * MINUTE });
    expect(silences.has('10.20.1.43')).toBe(false);
  });

  it('a watch whose timeline started late (opened by an older version) is judged only from then on', async () => {
    const timeline = new HeardTimeline(redis, keys);
    const late = { ...watch, id: 'w-upgraded' };
    await timeline.record(late, START + 30 * MINUTE, new Map([['FIN-WS-041', at(30, 31, 32, 45, 59)]]));
    await timeline.record(late, START + 45 * MINUTE, new Map([['FIN-WS-041', at(46)]]));
    expect(await timeline.silences(late)).toEqual(new Map([['fin-ws-041', { from: START + 33 * MINUTE, to: START + 45 * MINUTE }]]));
    expect(await timeline.silences({ ...watch, id: 'w-never-polled' })).toEqual(new Map());
  });
  it("keeps a watch's timeline in one hash, well under a key per host", async () => {
    const timeline = new HeardTimeline(redis, keys);
    const compact = { ...watch, id: 'w-compact' };
    const minutes = Array.from({ length: 60 }, (_, minute) => minute);
    await timeline.record(compact, START, new Map(compact.hosts.map((host) => [host.hostname ?? host.ip!, at(...minutes)])));
    expect(await redis.keys(`${keys.heardMinutes(compact.id).replace(/heard-minutes$/, '')}heard*`)).toEqual([keys.heardMinutes(compact.id)]);
    expect(await timeline.silences(compact)).toEqual(new Map());
  });

  it('a watch polled before the upgrade, a key per host, reads its earlier minutes with the new ones', async () => {
    const timeline = new HeardTimeline(redis, keys);
    const upgraded = { ...watch, id: 'w-heard-upgraded' };
    // What an earlier version wrote: FIN-WS-042 heard in minutes 0-14, the timeline started at the block.
    for (let minute = 0; minute < 15; minute += 1) await redis.setbit(keys.heard(upgraded.id, 'fin-ws-042'), minute, 1);
    await redis.set(keys.heardFrom(upgraded.id), String(START));

    await timeline.record(upgraded, START + 30 * MINUTE, new Map([['FIN-WS-042', at(...Array.from({ length: 30 }, (_, minute) => 30 + minute))]]));
    expect(await timeline.silences(upgraded)).toEqual(new Map([['fin-ws-042', { from: START + 15 * MINUTE, to: START + 30 * MINUTE }]]));
  });
});
