import { describe, expect, it } from 'vitest';
import { WatchViewSchema, type WatchView } from '../../src/contracts/watch.js';
import { LISTED, listReply } from '../../src/slack/messages/command-replies.js';

const NOW = Date.parse('2026-11-27T10:48:00Z');

const view = (i: number): WatchView =>
  WatchViewSchema.parse({
    id: `w-${i}`,
    incident_id: `INC-${i}`,
    blocked: [{ type: 'ip', value: '203.0.113.7' }],
    blocked_at: '2026-11-27T10:00:00Z',
    hosts: [{ hostname: `WS-${i}`, baseline: 'ready' }],
    sources: ['mde-prod'],
    duration_ms: 86_400_000,
    poll_interval_ms: 60_000,
    baseline_ms: 604_800_000,
    state: 'watching',
    opened_by: 'xsoar',
    created_at: '2026-11-27T10:00:05Z',
    updated_at: '2026-11-27T10:47:00Z',
    expires_at: '2026-11-28T10:00:00Z',
    action_ids: [],
    audit: [],
    findings: { total: 0, by_severity: { info: 0, low: 0, medium: 0, high: 0, critical: 0 } },
    suppressed: { count: 0, by_rule: {} },
    coverage: [],
    status_url: `http://127.0.0.1:8080/v1/watches/w-${i}`,
  });

describe('/containment list', () => {
  it('counts every active watch, not only the ones it read and shows', () => {
    const reply = listReply(Array.from({ length: LISTED }, (_, i) => view(i)), NOW, 20_289);
    expect(reply.text).toBe('20289 active watches');
    const text = JSON.stringify(reply.blocks);
    expect(text).toContain('Active watches (20289)');
    expect(text).toContain(`… and ${20_289 - LISTED} more`);
  });

  it('without a total, counts the watches it was given', () => {
    expect(listReply([view(1), view(2)], NOW).text).toBe('2 active watches');
  });
});
