import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { Assessment } from '../../src/detect/types.js';
import { redisKeys } from '../../src/lib/keys.js';
import { AllowRuleStore } from '../../src/stores/allow-rule-store.js';
import { FindingStore, type AssessedEvent } from '../../src/stores/finding-store.js';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const assessment = (severity: 'medium' | 'high'): Assessment => ({
  type: 'finding',
  findingId: 'f1',
  finding: {
    id: 'f1',
    watch_id: 'w1',
    host: 'FIN-WS-042',
    process: { name: 'rundll32.exe', path: 'C:\\Windows\\System32\\rundll32.exe' },
    dst: { ip: '192.0.2.44', port: 8443 },
    protocol: 'tcp',
    kind: ['quiet_process'],
    severity,
    score: severity === 'high' ? 80 : 55,
    reasons: [],
    connected: true,
  },
});
const event = (id: string, time: number, severity: 'medium' | 'high'): AssessedEvent => ({ eventId: id, time, source: 'mde-prod', assessment: assessment(severity) });
const mark = (who: string, ref: string) => ({ by: `slack:${who}`, slack_user_id: who, at: '2026-11-27T10:05:00.000Z', ref });

describe("a responder's decision on a finding, stored next to the event merges", () => {
  const prefix = uniquePrefix('triage');
  const redis = new Redis(TEST_REDIS_URL);
  const keys = redisKeys(prefix);
  const store = new FindingStore(redis, keys);
  afterAll(async () => {
    redis.disconnect();
    await dropPrefix(prefix);
  });

  it('acknowledging survives later merges, raises the version so Slack is edited, and a second acknowledgement by someone else changes nothing', async () => {
    await store.apply('w-ack', [event('e1', 1_000, 'medium')]);
    const before = await store.get('w-ack', 'f1');
    expect(await store.triage('w-ack', 'f1', { op: 'acknowledge', mark: mark('U0ALICE001', 'r1') })).toMatchObject({ outcome: 'changed', status: 'acknowledged' });
    expect((await store.get('w-ack', 'f1'))!.version).toBe(before!.version + 1);
    expect(await store.triage('w-ack', 'f1', { op: 'acknowledge', mark: mark('U0ALICE001', 'r1') })).toMatchObject({ outcome: 'repeat' });
    expect(await store.triage('w-ack', 'f1', { op: 'acknowledge', mark: mark('U0BOB00001', 'r2') })).toMatchObject({
      outcome: 'unchanged',
      earlier: { slack_user_id: 'U0ALICE001' },
    });

    await store.apply('w-ack', [event('e2', 2_000, 'high'), event('e3', 3_000, 'medium')]);
    const [merged] = await store.list('w-ack');
    expect(merged).toMatchObject({ status: 'acknowledged', acknowledged: { slack_user_id: 'U0ALICE001' }, count: 3, severity: 'high', reasons: [] });
  });

  it('escalation raises one step per interaction, never past critical, and a merged lower severity never lowers it', async () => {
    await store.apply('w-esc', [event('e1', 1_000, 'medium')]);
    expect(await store.triage('w-esc', 'f1', { op: 'escalate', mark: mark('U0ALICE001', 'r1') })).toMatchObject({ outcome: 'changed', severity: 'high' });
    expect(await store.triage('w-esc', 'f1', { op: 'escalate', mark: mark('U0ALICE001', 'r1') })).toMatchObject({ outcome: 'repeat', severity: 'high' });
    expect(await store.triage('w-esc', 'f1', { op: 'escalate', mark: mark('U0BOB00001', 'r2') })).toMatchObject({ severity: 'critical' });
    expect(await store.triage('w-esc', 'f1', { op: 'escalate', mark: mark('U0CAROL001', 'r3') })).toMatchObject({ severity: 'critical' });
    await store.apply('w-esc', [event('e2', 2_000, 'medium')]);
    expect((await store.get('w-esc', 'f1'))!.finding).toMatchObject({ severity: 'critical', escalated: { from: 'critical', slack_user_id: 'U0CAROL001' } });
    expect(await store.triage('w-esc', 'missing', { op: 'escalate', mark: mark('U0ALICE001', 'r4') })).toEqual({ outcome: 'missing' });
  });

  it('allow-rules from Slack are shared through Redis: saving the same rule twice keeps one version, a new expiry is a change, an expired rule is no longer active', async () => {
    const rules = new AllowRuleStore(redis, keys);
    const meta = { created_by: 'slack:U0ALICE001', created_at: '2026-11-27T10:05:00.000Z', origin: { watch_id: 'w1', finding_id: 'f1', incident_id: 'INC-1' } };
    const rule = { id: 'allow-abc', reason: 'red team', process_name: 'rundll32.exe', port: 8443 };
    expect(await rules.save(rule, meta)).toBe(true);
    const version = await rules.version();
    expect(await rules.save(rule, meta)).toBe(false);
    expect(await rules.version()).toBe(version);
    expect((await rules.active()).map((active) => active.id)).toEqual(['allow-abc']);
    expect(await rules.save({ ...rule, expires: '2026-01-01T00:00:00Z' }, meta)).toBe(true);
    expect(await rules.version()).not.toBe(version);
    expect(await rules.active(Date.parse('2026-06-01T00:00:00Z'))).toEqual([]);
    expect(await rules.list(Date.parse('2026-06-01T00:00:00Z'))).toEqual([{ id: 'allow-abc', rule: { ...rule, expires: '2026-01-01T00:00:00Z' }, ...meta, expired: true }]);

    const beforeRemoval = await rules.version();
    expect(await rules.remove('allow-abc')).toMatchObject({ created_by: 'slack:U0ALICE001' });
    expect(await rules.version()).not.toBe(beforeRemoval);
    expect(await rules.remove('allow-abc')).toBeUndefined();
    expect(await rules.list()).toEqual([]);
  });
});
