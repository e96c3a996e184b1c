import { describe, expect, it } from 'vitest';
import type { ConnectionEvent } from '../../src/contracts/connection-event.js';
import type { WatchedHost } from '../../src/contracts/watch.js';
import { createHostMatcher, hostLabel } from '../../src/detect/host-match.js';
import { patience } from '../helpers/wait.js';

const SHORT: WatchedHost = { hostname: 'FIN-WS-042', baseline: 'ready' };
const FQDN: WatchedHost = { hostname: 'hr-ws-007.corp.example', baseline: 'ready' };
const BY_ID: WatchedHost = { hostname: 'LAB-01', edr_id: 'a1B2c3', baseline: 'ready' };
const BY_IP: WatchedHost = { ip: '10.20.1.99', baseline: 'pending' };
const V6: WatchedHost = { ip: '2001:db8::10', baseline: 'ready' };

const eventFrom = (device: ConnectionEvent['device']): ConnectionEvent => ({
  id: 'e',
  source: 's',
  time: 0,
  device,
  dst_endpoint: { ip: '192.0.2.1', port: 443 },
  protocol: 'tcp',
  direction: 'outbound',
  outcome: 'success',
});

describe('which watch an event belongs to', () => {
  const match = createHostMatcher([SHORT, FQDN, BY_ID, BY_IP, V6]);

  it('a short name in the watch matches the FQDN in telemetry, and the other way round, ignoring case', () => {
    expect(match(eventFrom({ hostname: 'fin-ws-042.corp.example' }))).toBe(SHORT);
    expect(match(eventFrom({ hostname: 'Fin-Ws-042' }))).toBe(SHORT);
    expect(match(eventFrom({ hostname: 'HR-WS-007' }))).toBe(FQDN);
    expect(match(eventFrom({ hostname: 'HR-WS-007.CORP.EXAMPLE' }))).toBe(FQDN);
  });

  it('two different FQDNs with the same first label are different hosts', () => {
    expect(match(eventFrom({ hostname: 'hr-ws-007.other.example' }))).toBeUndefined();
  });

  it('matches by EDR device id case-insensitively, before the name', () => {
    expect(match(eventFrom({ uid: 'A1B2C3', hostname: 'renamed-box' }))).toBe(BY_ID);
  });

  it('matches by IP, IPv4-mapped IPv6 and compressed IPv6 included, when nothing else does', () => {
    expect(match(eventFrom({ hostname: 'unknown', ip: '10.20.1.99' }))).toBe(BY_IP);
    expect(match(eventFrom({ ip: '::ffff:10.20.1.99' }))).toBe(BY_IP);
    expect(match(eventFrom({ ip: '2001:DB8:0:0::10' }))).toBe(V6);
  });

  it('returns nothing for hosts outside the watch', () => {
    expect(match(eventFrom({ hostname: 'fin-ws-043', ip: '10.20.1.43', uid: 'zzz' }))).toBeUndefined();
    expect(match(eventFrom({}))).toBeUndefined();
  });

  it('a short name shared by two watched hosts matches neither; their FQDNs still do', () => {
    const a: WatchedHost = { hostname: 'ws1.a.example', baseline: 'ready' };
    const b: WatchedHost = { hostname: 'ws1.b.example', baseline: 'ready' };
    const ambiguous = createHostMatcher([a, b]);
    expect(ambiguous(eventFrom({ hostname: 'WS1' }))).toBeUndefined();
    expect(ambiguous(eventFrom({ hostname: 'ws1.b.example' }))).toBe(b);
  });

  it('labels a host by name, else ip, else edr id', () => {
    expect(hostLabel(SHORT)).toBe('FIN-WS-042');
    expect(hostLabel(BY_IP)).toBe('10.20.1.99');
    expect(hostLabel({ edr_id: 'x', baseline: 'ready' })).toBe('x');
  });

  it('stays O(1): 500 watched hosts and 100,000 lookups take well under a second', () => {
    const many: WatchedHost[] = Array.from({ length: 500 }, (_, i) => ({ hostname: `ws-${i}.corp.example`, ip: `10.1.${i >> 8}.${i & 255}`, baseline: 'ready' }));
    const big = createHostMatcher(many);
    const events = Array.from({ length: 1000 }, (_, i) => eventFrom({ hostname: `WS-${i % 600}` }));
    const started = performance.now();
    let hits = 0;
    for (let round = 0; round < 100; round++) for (const event of events) if (big(event)) hits++;
    // i % 600 is a watched index (< 500) for 900 of every 1,000 events.
    expect(hits).toBe(90_000);
    expect(performance.now() - started).toBeLessThan(patience(1000));
  });
});
