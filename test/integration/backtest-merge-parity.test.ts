import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { SeveritySchema } from '../../src/contracts/common.js';
import type { ConnectionEvent } from '../../src/contracts/connection-event.js';
import type { FindingKind } from '../../src/contracts/finding.js';
import type { Assessment } from '../../src/detect/types.js';
import { redisKeys } from '../../src/lib/keys.js';
import { FindingStore } from '../../src/stores/finding-store.js';
import { FindingLedger } from '../../src/backtest/finding-ledger.js';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const KINDS: FindingKind[] = ['blocked_retry', 'uncommon_port', 'quiet_process', 'new_destination', 'protocol_shift', 'beaconing'];

const assessmentArbitrary = fc.oneof(
  fc.record({
    tuple: fc.constantFrom('f1', 'f2'),
    severity: fc.constantFrom(...SeveritySchema.options),
    // Few distinct scores, so ties (where the newest event's reasons win) are common.
    score: fc.constantFrom(50, 70, 90),
    kind: fc.subarray(KINDS, { minLength: 1 }),
    connected: fc.boolean(),
  }).map(
    (f): Assessment => ({
      type: 'finding',
      findingId: f.tuple,
      finding: {
        id: f.tuple,
        watch_id: 'w1',
        host: 'FIN-WS-042',
        process: { name: 'rundll32.exe', path: 'C:\\Windows\\System32\\rundll32.exe' },
        dst: { ip: '192.0.2.44', port: 8443 },
        protocol: 'tcp',
        kind: f.kind,
        severity: f.severity,
        score: f.score,
        reasons: [],
        connected: f.connected,
      },
    }),
  ),
  fc.constantFrom<Assessment>({ type: 'suppressed', ruleId: 'builtin:teams' }, { type: 'suppressed', ruleId: 'backup-agent' }, { type: 'normal' }),
);

const eventArbitrary = fc.record({
  // Five minutes: attempts fall in several one-minute bins, often tied.
  time: fc.integer({ min: 1_700_000_000_000, max: 1_700_000_300_000 }),
  source: fc.constantFrom('mde-prod', 'zeek'),
  assessment: assessmentArbitrary,
});

describe('the backtest merges findings exactly as the live Redis store does', () => {
  const redis = new Redis(TEST_REDIS_URL);
  const prefixes: string[] = [];
  afterAll(async () => {
    redis.disconnect();
    for (const prefix of prefixes) await dropPrefix(prefix);
  });

  it('the same assessed events, in the same order, give the same findings and suppression counts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(eventArbitrary, { minLength: 1, maxLength: 25 }), async (events) => {
        const prefix = uniquePrefix('bt-parity');
        prefixes.push(prefix);
        const store = new FindingStore(redis, redisKeys(prefix));
        const ledger = new FindingLedger();
        const assessed = events.map((event, index) => ({
          eventId: `e${index}`,
          ...event,
          assessment:
            event.assessment.type === 'finding'
              ? { ...event.assessment, finding: { ...event.assessment.finding, reasons: [`reason of e${index}`] } }
              : event.assessment,
        }));
        // The live store receives events in poll batches; the order of application is the same.
        for (let start = 0; start < assessed.length; start += 7) await store.apply('w1', assessed.slice(start, start + 7));
        for (const event of assessed) {
          const connection = { id: event.eventId, source: event.source, time: event.time } as ConnectionEvent;
          ledger.apply(connection, event.assessment);
        }
        const live = (await store.list('w1')).map(({ acknowledged: _a, benign: _b, escalated: _e, ...finding }) => finding);
        expect(ledger.list()).toEqual(live);
        const suppressed = await store.suppressed('w1');
        expect(ledger.suppressed()).toEqual({ count: suppressed.count, by_rule: Object.fromEntries(Object.entries(suppressed.by_rule).sort()) });
      }),
      { numRuns: 60 },
    );
  });
});
