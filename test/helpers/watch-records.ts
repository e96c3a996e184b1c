import { WatchSchema, type Watch } from '../../src/contracts/watch.js';

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** A watching watch of five hosts on `mde-prod`, blocked at `blockedAt`, its baseline taken a minute later: a stored record for store tests. */
export const watchingRecord = (id: string, blockedAt: number): Watch =>
  WatchSchema.parse({
    id,
    incident_id: `INC-${id}`,
    blocked: [{ type: 'ip', value: '203.0.113.7' }],
    blocked_at: iso(blockedAt),
    hosts: Array.from({ length: 5 }, (_, index) => ({ hostname: `MSP-WS-0024${index}`, ip: `10.40.0.24${index}`, baseline: 'ready' })),
    sources: ['mde-prod'],
    duration_ms: 2 * HOUR,
    poll_interval_ms: 10_000,
    baseline_ms: 7 * 24 * HOUR,
    state: 'watching',
    baseline_taken_at: iso(blockedAt + 60_000),
    opened_by: 'test',
    created_at: iso(blockedAt),
    updated_at: iso(blockedAt),
    expires_at: iso(blockedAt + 2 * HOUR),
    action_ids: [],
    audit: [{ at: iso(blockedAt), actor: 'test', action: 'open', detail: '5 hosts, 1 indicators' }],
  });
