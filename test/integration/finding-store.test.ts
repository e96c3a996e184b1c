import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { Assessment } from '../../src/detect/types.js';
import { redisKeys } from '../../src/lib/keys.js';
import { APPLY_EVENTS_SCRIPT } from '../../src/stores/apply-events-script.js';
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
    args.push('g1', 10, 'f', '{"id": "f9", "rank": ');
    args.push('g2', 11, 'n', '');
    args.push('g3', 12, 'f', '"just a string"');
    args.push('g4', 13, 'f', '{"id": "f9", "score": 1}');
    args.push('g5', 14, 'x', '');
    args.push('g6', 'soon', 'n', '');
    const watchKeys = [keys.seenEvents('w-garbage'), keys.findings('w-garbage'), keys.suppressed('w-garbage'), keys.eventStats('w-garbage'), keys.retryMinutes('w-garbage'), keys.quarantinedEvents('w-garbage')];
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
});
