import { WatchViewSchema, type WatchView } from '../../src/contracts/watch.js';

/** A watching watch of INC-2041 as the API shows it, 48 minutes after its block, for message and reply tests. */
export function watchViewFixture(overrides: Partial<WatchView> = {}): WatchView {
  const id = overrides.id ?? 'w-0001';
  return WatchViewSchema.parse({
    id,
    incident_id: 'INC-2041',
    title: 'Beacon on finance workstation',
    slack_channel: 'C07ABCDEF12',
    blocked: [{ type: 'ip', value: '203.0.113.7' }],
    blocked_at: '2026-11-27T10:00:00Z',
    hosts: [{ hostname: 'FIN-WS-042', baseline: 'ready' }],
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
    findings: { total: 1, by_severity: { info: 0, low: 0, medium: 0, high: 1, critical: 0 } },
    suppressed: { count: 0, by_rule: {} },
    coverage: [],
    status_url: `http://127.0.0.1:8080/v1/watches/${id}`,
    ...overrides,
  });
}
