import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { Assessment } from '../../src/detect/types.js';
import { redisKeys } from '../../src/lib/keys.js';
import { FindingStore, type AssessedEvent } from '../../src/watch/finding-store.js';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const finding = (severity: 'medium' | 'high', kind: string[], connected = true): Assessment => ({
  type: 'finding',
  findingId: 'f1',
  finding: {
    id: 'f1',
    watch_id: 'w1',
    host: 'FIN-WS-042',
    process: { name: 'rundll32.exe', path: 'C:\\Windows\\System32\\rundll32.exe' },
    dst: { ip: '192.0.2.44', port: 8443 },
    protocol: 'tcp',
    kind: kind as never,
    severity,
    score: severity === 'high' ? 90 : 55,
    reasons: [`reason ${severity}`],
    connected,
  },
});

const event = (id: string, time: number, assessment: Assessment): AssessedEvent => ({ eventId: id, time, source: 'mde-prod', assessment });

describe('the finding store records each event once, however often a poll repeats it', () => {
  const prefix = uniquePrefix('findings');
  const redis = new Redis(TEST_REDIS_URL);
  const store = new FindingStore(redis, redisKeys(prefix));

  beforeAll(async () => {
    await redis.ping();
  });
  afterAll(async () => {
    redis.disconnect();
    await dropPrefix(prefix);
  });

  it('repeats of one tuple raise the count and move last_seen; a replayed batch changes nothing', async () => {
    const batch = [
      event('e1', 1_000, finding('medium', ['uncommon_port'], false)),
      event('e2', 3_000, finding('high', ['quiet_process'])),
      event('e3', 2_000, { type: 'suppressed', ruleId: 'builtin:windows-update' }),
      event('e4', 2_500, { type: 'normal' }),
      event('e5', 2_600, { type: 'ignored', reason: 'inbound' }),
    ];
    const first = await store.apply('w1', batch);
    expect(first.newEvents).toBe(4);
    expect(first.changes).toEqual([{ findingId: 'f1', change: 'created' }]);

    const replay = await store.apply('w1', batch);
    expect(replay).toEqual({ newEvents: 0, changes: [] });

    const [stored] = await store.list('w1');
    expect(stored).toMatchObject({
      count: 2,
      severity: 'high',
      kind: ['uncommon_port', 'quiet_process'],
      connected: true,
      reasons: ['reason high'],
      first_seen: new Date(1_000).toISOString(),
      last_seen: new Date(3_000).toISOString(),
      sources: ['mde-prod'],
      status: 'open',
    });
    expect(await store.suppressed('w1')).toEqual({ count: 1, by_rule: { 'builtin:windows-update': 1 } });
    expect(await store.eventStats('w1')).toEqual({ events: 4, normal: 1 });
  });

  it('bins the attempts on a blocked indicator per UTC minute, whatever order they arrive in, and a replay changes nothing', async () => {
    const MINUTE = 60_000;
    const start = Date.parse('2026-12-05T09:00:00Z');
    // 2 attempts at 09:00, 5 at 09:03, 1 at 09:04, 5 at 09:07: the peak is 5, first reached in the 09:03 bin.
    const times = [
      ...[0, 1].map((second) => start + second * 1_000),
      ...[0, 10, 20, 30, 59].map((second) => start + 3 * MINUTE + second * 1_000),
      start + 4 * MINUTE,
      ...[5, 6, 7, 8, 9].map((second) => start + 7 * MINUTE + second * 1_000),
    ];
    const retries = times.map((time, index) => event(`r${index}`, time, finding('high', ['blocked_retry'], false)));
    const expected = { minutes: 4, peak: 5, peak_minute: '2026-12-05T09:03:00.000Z' };

    await store.apply('w-retry', retries);
    await store.apply('w-retry', retries.slice(0, 5));
    await store.apply('w-retry-reversed', [...retries].reverse());
    for (const watch of ['w-retry', 'w-retry-reversed']) {
      const [stored] = await store.list(watch);
      expect(stored).toMatchObject({ count: times.length, retry_rate: expected });
    }

    await store.apply('w-other', [event('o1', start, finding('high', ['uncommon_port']))]);
    expect((await store.list('w-other'))[0]!.retry_rate).toBeUndefined();
  });

  it('a later event of a known finding is an update, a higher severity an escalation', async () => {
    const update = await store.apply('w2', [event('a', 1, finding('medium', ['uncommon_port']))]);
    expect(update.changes).toEqual([{ findingId: 'f1', change: 'created' }]);
    expect((await store.apply('w2', [event('b', 2, finding('medium', ['uncommon_port']))])).changes).toEqual([
      { findingId: 'f1', change: 'updated' },
    ]);
    expect((await store.apply('w2', [event('c', 3, finding('high', ['quiet_process']))])).changes).toEqual([
      { findingId: 'f1', change: 'escalated' },
    ]);
  });

  it('tracks which finding versions were published', async () => {
    await store.apply('w3', [event('a', 1, finding('high', ['quiet_process']))]);
    expect(await store.unpublished('w3')).toEqual(['f1']);
    const current = await store.get('w3', 'f1');
    await store.markPublished('w3', 'f1', current!.version);
    expect(await store.unpublished('w3')).toEqual([]);
    await store.apply('w3', [event('b', 2, finding('high', ['quiet_process']))]);
    expect(await store.unpublished('w3')).toEqual(['f1']);
  });

  it('forgets event ids older than the trim horizon, and only those', async () => {
    await store.apply('w4', [event('old', 100, { type: 'normal' }), event('new', 900, { type: 'normal' })], 500);
    const result = await store.apply('w4', [event('old', 100, { type: 'normal' }), event('new', 900, { type: 'normal' })]);
    expect(result.newEvents).toBe(1);
  });

  it('applies large batches in chunks without losing any event', async () => {
    const many = Array.from({ length: 1_234 }, (_, index) => event(`n${index}`, index, { type: 'normal' }));
    expect((await store.apply('w5', many)).newEvents).toBe(1_234);
    expect((await store.apply('w5', many)).newEvents).toBe(0);
  });
});
