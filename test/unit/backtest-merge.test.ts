import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { severityRank, SeveritySchema, type Severity } from '../../src/contracts/common.js';
import type { FindingKind } from '../../src/contracts/finding.js';
import { mergeFinding, toFindings, type FindingAssessment, type MergedFinding } from '../../src/backtest/merge-finding.js';

const assessment = (fields: { severity: Severity; score: number; kind: FindingKind[]; connected: boolean; reason?: string }): FindingAssessment => ({
  type: 'finding',
  findingId: 'f1',
  finding: {
    id: 'f1',
    watch_id: 'w1',
    host: 'FIN-WS-042',
    process: { name: 'rundll32.exe' },
    dst: { ip: '192.0.2.44', port: 8443 },
    protocol: 'tcp',
    kind: fields.kind,
    severity: fields.severity,
    score: fields.score,
    reasons: [fields.reason ?? `score ${fields.score}`],
    connected: fields.connected,
  },
});

function mergeAll(events: { assessment: FindingAssessment; time: number; source: string }[]): MergedFinding | undefined {
  return events.reduce<MergedFinding | undefined>((stored, event) => mergeFinding(stored, event.assessment, event.time, event.source), undefined);
}

describe('merging the repeats of a finding, as the live store does', () => {
  it('the first event creates an open finding seen once', () => {
    const merged = mergeFinding(undefined, assessment({ severity: 'medium', score: 55, kind: ['uncommon_port'], connected: false }), 1_000, 'mde-prod');
    expect(merged).toMatchObject({ id: 'f1', count: 1, first_ms: 1_000, last_ms: 1_000, status: 'open', sources: ['mde-prod'], severity: 'medium' });
  });

  it('on a tied score, the reasons of the most recent event win; an older event does not overwrite them', () => {
    const tie = (time: number, reason: string) => ({ assessment: assessment({ severity: 'high', score: 80, kind: ['beaconing'], connected: true, reason }), time, source: 's' });
    expect(mergeAll([tie(1_000, 'beacon (2 times)'), tie(2_000, 'beacon (3 times)')])?.reasons).toEqual(['beacon (3 times)']);
    expect(mergeAll([tie(2_000, 'beacon (3 times)'), tie(1_000, 'late replay')])?.reasons).toEqual(['beacon (3 times)']);
  });

  it('repeats count, widen the times, union kinds and sources, keep the highest severity and the best-scored reasons', () => {
    const merged = mergeAll([
      { assessment: assessment({ severity: 'medium', score: 55, kind: ['uncommon_port'], connected: false, reason: 'first' }), time: 3_000, source: 'mde' },
      { assessment: assessment({ severity: 'high', score: 90, kind: ['quiet_process', 'uncommon_port'], connected: true, reason: 'best' }), time: 1_000, source: 'zeek' },
      { assessment: assessment({ severity: 'medium', score: 90, kind: ['beaconing'], connected: false, reason: 'tie' }), time: 2_000, source: 'mde' },
    ]);
    expect(merged).toMatchObject({
      count: 3,
      first_ms: 1_000,
      last_ms: 3_000,
      kind: ['uncommon_port', 'quiet_process', 'beaconing'],
      sources: ['mde', 'zeek'],
      severity: 'high',
      score: 90,
      reasons: ['best'],
      connected: true,
    });
  });

  it('whatever the order, count, times, severity, score, kinds and connected follow the events', () => {
    const kinds = fc.subarray<FindingKind>(['blocked_retry', 'uncommon_port', 'quiet_process', 'new_destination', 'protocol_shift', 'beaconing'], { minLength: 1 });
    const event = fc.record({
      severity: fc.constantFrom(...SeveritySchema.options),
      score: fc.integer({ min: 0, max: 100 }),
      kind: kinds,
      connected: fc.boolean(),
      time: fc.integer({ min: 0, max: 10_000_000 }),
      source: fc.constantFrom('mde', 'zeek', 'sysmon'),
    });
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 20 }), (events) => {
        const merged = mergeAll(events.map((e) => ({ assessment: assessment(e), time: e.time, source: e.source })));
        expect(merged?.count).toBe(events.length);
        expect(merged?.first_ms).toBe(Math.min(...events.map((e) => e.time)));
        expect(merged?.last_ms).toBe(Math.max(...events.map((e) => e.time)));
        expect(severityRank(merged?.severity ?? 'info')).toBe(Math.max(...events.map((e) => severityRank(e.severity))));
        expect(merged?.score).toBe(Math.max(...events.map((e) => e.score)));
        expect(new Set(merged?.kind)).toEqual(new Set(events.flatMap((e) => e.kind)));
        expect(merged?.kind).toHaveLength(new Set(events.flatMap((e) => e.kind)).size);
        expect(merged?.connected).toBe(events.some((e) => e.connected));
        // The reasons are those of an event that reached the top score.
        expect(merged?.reasons).toEqual([`score ${merged?.score}`]);
      }),
    );
  });

  it('lists findings most severe first, then oldest first, with ISO times', () => {
    const low = mergeFinding(undefined, { ...assessment({ severity: 'low', score: 45, kind: ['new_destination'], connected: true }), findingId: 'a' }, 5_000, 's');
    const highLate = mergeFinding(undefined, { ...assessment({ severity: 'high', score: 80, kind: ['quiet_process'], connected: true }), findingId: 'b' }, 9_000, 's');
    const highEarly = mergeFinding(undefined, { ...assessment({ severity: 'high', score: 80, kind: ['quiet_process'], connected: true }), findingId: 'c' }, 1_000, 's');
    const listed = toFindings([low, highLate, highEarly]);
    expect(listed.map((finding) => finding.id)).toEqual(['c', 'b', 'a']);
    expect(listed[0]).toMatchObject({ first_seen: '1970-01-01T00:00:01.000Z', last_seen: '1970-01-01T00:00:01.000Z' });
    expect(listed[0]).not.toHaveProperty('first_ms');
  });
});
