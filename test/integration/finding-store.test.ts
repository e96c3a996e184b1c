import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { Assessment } from '../../src/detect/types.js';
import { redisKeys } from '../../src/lib/keys.js';
import { APPLY_EVENTS_SCRIPT } from '../../src/stores/apply-events-script.js';
import { eventDigest } from '../../src/lib/event-digest.js';
import { FindingStore, QUARANTINE_LIST_CAP, type AssessedEvent } from '../../src/stores/finding-store.js';
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

/** The same finding with other reasons (and, given one, another id). */
function withReasons(assessment: Assessment, reasons: string[], findingId?: string): Assessment {
  if (assessment.type !== 'finding') return assessment;
  const id = findingId ?? assessment.findingId;
  return { ...assessment, findingId: id, finding: { ...assessment.finding, id, reasons } };
}

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
    expect(replay).toEqual({ newEvents: 0, changes: [], quarantined: [] });

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
    expect(await store.eventStats('w1')).toEqual({ events: 4, normal: 1, quarantined: 0 });
  });

  it('names the oldest new event a previous read covered but did not deliver (late telemetry), never a known or later one', async () => {
    await store.apply('w-late', [event('l1', 5_000, { type: 'normal' })]);
    const window = { from: 4_000, to: 10_000 };

    const next = await store.apply(
      'w-late',
      [
        event('l1', 5_000, { type: 'normal' }),
        event('l2', 3_000, { type: 'normal' }),
        event('l3', 7_000, { type: 'suppressed', ruleId: 'builtin:windows-update' }),
        event('l4', 6_000, finding('medium', ['uncommon_port'])),
        event('l5', 11_000, { type: 'normal' }),
      ],
      0,
      window,
    );

    expect(next.oldestLate).toBe(6_000);
    expect((await store.apply('w-late', [event('l6', 12_000, { type: 'normal' })], 0, window)).oldestLate).toBeUndefined();
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

  it('forgets them too when a poll brings nothing to record, as a re-read of recorded events does', async () => {
    await store.apply('w5', [event('old', 100, { type: 'normal' }), event('new', 900, { type: 'normal' })]);
    await store.apply('w5', [], 500);
    const result = await store.apply('w5', [event('old', 100, { type: 'normal' }), event('new', 900, { type: 'normal' })]);
    expect(result.newEvents).toBe(1);
  });

  it('quarantines a finding event cjson cannot decode, once, and records every other event of the batch exactly once', async () => {
    const keys = redisKeys(prefix);
    // A lone surrogate that did not come through the connector boundary: JSON.stringify writes it as "\ud800",
    // which Lua's cjson refuses to decode.
    const poisoned = withReasons(finding('high', ['quiet_process']), ['bad \uD800'], 'f-poison');
    const batch = [
      event('p1', 1_000, poisoned),
      event('p2', 2_000, finding('high', ['quiet_process'])),
      event('p3', 3_000, { type: 'normal' }),
      event('p4', 4_000, finding('high', ['quiet_process'])),
    ];
    const first = await store.apply('w-poison', batch);
    expect(first).toEqual({
      newEvents: 3,
      changes: [{ findingId: 'f1', change: 'created' }],
      quarantined: [{ eventId: 'p1', reason: expect.stringMatching(/^undecodable payload/) as unknown as string }],
    });
    expect(await store.apply('w-poison', batch)).toEqual({ newEvents: 0, changes: [], quarantined: [] });
    expect(await store.eventStats('w-poison')).toEqual({ events: 3, normal: 1, quarantined: 1 });
    expect((await store.list('w-poison')).map((stored) => [stored.id, stored.count])).toEqual([['f1', 2]]);
    expect(await store.quarantinedEvents('w-poison')).toEqual([{ eventId: 'p1', reason: expect.stringMatching(/^undecodable payload/) }]);

    // Garbage straight into the script (not JSON, JSON but no object, an object without a rank), an unknown kind
    // and a time that is not a number: each set aside with its reason, the events between them recorded.
    const args: (string | number)[] = [0, 6, QUARANTINE_LIST_CAP, 0, 0];
    const garbage = (id: string, time: number | string, kind: string, payload: string) => args.push(id, eventDigest(id), time, kind, payload);
    garbage('g1', 10, 'f', '{"id": "f9", "rank": ');
    garbage('g2', 11, 'n', '');
    garbage('g3', 12, 'f', '"just a string"');
    garbage('g4', 13, 'f', '{"id": "f9", "score": 1}');
    garbage('g5', 14, 'x', '');
    garbage('g6', 'soon', 'n', '');
    const watchKeys = [keys.seenEventDigests('w-garbage'), keys.seenEvents('w-garbage'), keys.findings('w-garbage'), keys.suppressed('w-garbage'), keys.eventStats('w-garbage'), keys.retryMinutes('w-garbage'), keys.quarantinedEvents('w-garbage')];
    const reply = (await redis.eval(APPLY_EVENTS_SCRIPT, watchKeys.length, ...watchKeys, ...args)) as (string | number)[];
    expect(reply.slice(0, 3)).toEqual([1, 5, -1]);
    expect(reply.filter((_, index) => index >= 3 && index % 2 === 1)).toEqual(['g1', 'g3', 'g4', 'g5', 'g6']);
    const reasons = (await store.quarantinedEvents('w-garbage')).map((entry) => entry.reason);
    expect(reasons).toEqual([
      'event time is not a number',
      'unknown kind x',
      'finding without a finite rank and score',
      'payload is not an object',
      expect.stringMatching(/^undecodable payload/),
    ]);
    expect(await store.eventStats('w-garbage')).toEqual({ events: 1, normal: 1, quarantined: 5 });
  });

  it('keeps the newest quarantined events up to the cap and counts them all', async () => {
    const bad = (id: string): AssessedEvent => event(id, 1, withReasons(finding('high', ['quiet_process']), ['\uDC00']));
    const many = Array.from({ length: QUARANTINE_LIST_CAP + 20 }, (_, index) => bad(`q${index}`));
    expect((await store.apply('w-cap', many)).quarantined).toHaveLength(many.length);
    expect(await store.eventStats('w-cap')).toMatchObject({ quarantined: many.length });
    const listed = await store.quarantinedEvents('w-cap');
    expect(listed).toHaveLength(QUARANTINE_LIST_CAP);
    expect(listed[0]!.eventId).toBe(`q${many.length - 1}`);
  });

  it('applies large batches in chunks without losing any event', async () => {
    const many = Array.from({ length: 1_234 }, (_, index) => event(`n${index}`, index, { type: 'normal' }));
    expect((await store.apply('w5', many)).newEvents).toBe(1_234);
    expect((await store.apply('w5', many)).newEvents).toBe(0);
  });
  it('knows which events a watch recorded, by id, whatever their length', async () => {
    const vendorId = (index: number) => `mde:${'3b91c0b09ae49eac0d1ddcbd10227743ae67f784'}:${1_333_363_462 + index}:2026-12-07T13:05:10.0163951Z`;
    await store.apply('w-known', [event(vendorId(1), 1_000, { type: 'normal' }), event(vendorId(2), 2_000, finding('high', ['quiet_process']))]);
    expect(await store.recordedAmong('w-known', [vendorId(2), vendorId(3), vendorId(1)])).toEqual([true, false, true]);
    expect(await store.recordedAmong('w-known', [])).toEqual([]);
    expect(await store.recordedAmong('w-never-polled', [vendorId(1)])).toEqual([false]);
  });

  it('a seen set of a look-back of vendor ids keeps Redis\'s compact encoding', async () => {
    const keys = redisKeys(prefix);
    // 100 MDE ids of 80 characters: stored in full they passed zset-max-listpack-value (64) and took a skip list.
    const ids = Array.from({ length: 100 }, (_, index) => `mde:3b91c0b09ae49eac0d1ddcbd10227743ae67f784:${1_000_000_000 + index}:2026-12-07T13:05:10.0163951Z`);
    await store.apply('w-compact', ids.map((id, index) => event(id, index, { type: 'normal' })));
    expect(['listpack', 'ziplist']).toContain(await redis.object('ENCODING', keys.seenEventDigests('w-compact')));
    expect(await redis.exists(keys.seenEvents('w-compact'))).toBe(0);
  });

  it('events an earlier version recorded by full id are not counted again, and its set is trimmed away with the look-back', async () => {
    const keys = redisKeys(prefix);
    // What an earlier version left: e1 and e2 recorded (a finding counted once, one normal event), ids in full.
    await store.apply('w-upgraded', [event('e1', 1_000, finding('high', ['quiet_process'])), event('e2', 2_000, { type: 'normal' })]);
    await redis.del(keys.seenEventDigests('w-upgraded'));
    await redis.zadd(keys.seenEvents('w-upgraded'), '1000', 'e1', '2000', 'e2');

    expect(await store.recordedAmong('w-upgraded', ['e1', 'e2', 'e3'])).toEqual([true, true, false]);
    const reread = await store.apply('w-upgraded', [
      event('e1', 1_000, finding('high', ['quiet_process'])),
      event('e2', 2_000, { type: 'normal' }),
      event('e3', 3_000, finding('high', ['quiet_process'])),
    ]);
    expect(reread).toEqual({ newEvents: 1, changes: [{ findingId: 'f1', change: 'updated' }], quarantined: [] });
    expect((await store.list('w-upgraded')).map((stored) => stored.count)).toEqual([2]);
    expect(await store.eventStats('w-upgraded')).toEqual({ events: 3, normal: 1, quarantined: 0 });

    // The look-back moves past e1: the earlier set loses it, and the key goes once the look-back passes e2 too.
    await store.apply('w-upgraded', [event('e4', 4_000, { type: 'normal' })], 1_500);
    expect(await redis.zrange(keys.seenEvents('w-upgraded'), '0', '-1')).toEqual(['e2']);
    await store.apply('w-upgraded', [], 3_500);
    expect(await redis.exists(keys.seenEvents('w-upgraded'))).toBe(0);
    expect(await store.recordedAmong('w-upgraded', ['e2', 'e3', 'e4'])).toEqual([false, false, true]);
  });
});
