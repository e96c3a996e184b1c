import { describe, expect, it } from 'vitest';
import type { SourceHealth, Watch } from '../../src/contracts/watch.js';
import { quietHosts } from '../../src/rules/quiet-hosts.js';

const MINUTE = 60_000;
const NOW = Date.parse('2026-11-29T11:00:00Z');
const ago = (minutes: number) => new Date(NOW - minutes * MINUTE).toISOString();

const watch = {
  poll_interval_ms: MINUTE,
  hosts: [
    { hostname: 'FIN-WS-041', baseline: 'ready' },
    { hostname: 'FIN-WS-042', baseline: 'ready' },
    { ip: '10.20.1.43', baseline: 'ready' },
    { hostname: 'FIN-WS-044', baseline: 'ready' },
  ],
} as Watch;

const health = (source: string, lastSeen: Record<string, string>, lagMs?: number): SourceHealth => ({
  source,
  consecutive_failures: 0,
  polled_hosts: [],
  events_seen: 10,
  hosts_seen: Object.keys(lastSeen),
  hosts_last_seen: lastSeen,
  gaps: [],
  ...(lagMs === undefined ? {} : { lag_ms: lagMs }),
});

describe('hosts gone quiet', () => {
  it('names hosts no source has heard for ten minutes (or three polls), by when they were last heard', () => {
    const coverage = [
      health('mde-prod', { 'FIN-WS-041': ago(1), 'fin-ws-042': ago(25), '10.20.1.43': ago(30) }),
      health('fw-edge', { '10.20.1.43': ago(2) }),
    ];
    expect(quietHosts(watch, coverage, NOW)).toEqual(new Map([['FIN-WS-042', ago(25)]]));
    expect(quietHosts({ ...watch, poll_interval_ms: 10 * MINUTE }, coverage, NOW)).toEqual(new Map());
  });

  it('allows for the freshest source being late, and never names a host that was never heard', () => {
    const coverage = [health('mde-prod', { 'FIN-WS-041': ago(16), 'FIN-WS-042': ago(12) }, 5 * MINUTE)];
    expect(quietHosts(watch, coverage, NOW)).toEqual(new Map([['FIN-WS-041', ago(16)]]));
  });
});
