import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConnectionEvent } from '../../src/contracts/connection-event.js';
import {
  createHostMatcher,
  hostIdentity,
  hostKey,
  hostLabel,
  identifiersOf,
  primaryIdentifier,
  type HostIdentifiers,
} from '../../src/contracts/host-identity.js';
import type { WatchedHost } from '../../src/contracts/watch.js';
import { patience } from '../helpers/wait.js';

const SHORT: WatchedHost = { hostname: 'FIN-WS-042', baseline: 'ready' };
const FQDN: WatchedHost = { hostname: 'hr-ws-007.corp.example', baseline: 'ready' };
const BY_ID: WatchedHost = { hostname: 'LAB-01', edr_id: 'a1B2c3', baseline: 'ready' };
const BY_IP: WatchedHost = { ip: '10.20.1.99', baseline: 'pending' };
const V6: WatchedHost = { ip: '2001:db8::10', baseline: 'ready' };

const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,14}$/);
const hostArbitrary: fc.Arbitrary<HostIdentifiers> = fc.record(
  {
    hostname: fc.oneof(label, fc.tuple(label, label).map(([first, domain]) => `${first}.${domain}.example`)),
    ip: fc.oneof(fc.ipV4(), fc.ipV6()),
    edr_id: fc.stringMatching(/^[A-Za-z0-9]{1,24}$/),
  },
  { requiredKeys: [] },
);

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

describe('what a host is called', () => {
  it('labels a host by name, else ip, else edr id', () => {
    expect(hostLabel(SHORT)).toBe('FIN-WS-042');
    expect(hostLabel(BY_IP)).toBe('10.20.1.99');
    expect(hostLabel({ edr_id: 'x', baseline: 'ready' })).toBe('x');
  });

  it('a host that bypassed the schema, with no identifier at all, goes by no identifier and reads "unknown host"', () => {
    expect(primaryIdentifier({})).toBeUndefined();
    expect(hostLabel({})).toBe('unknown host');
    expect(hostIdentity({})).toBe('unknown host');
  });

  it('its identity, in baselines and finding ids, is its label lower-cased, whatever case the SOAR used', () => {
    expect(hostIdentity(SHORT)).toBe('fin-ws-042');
    expect(hostIdentity({ hostname: 'fin-ws-042' })).toBe(hostIdentity(SHORT));
    expect(hostIdentity(BY_ID)).toBe('lab-01');
    expect(hostIdentity({ edr_id: 'A1B2C3' })).toBe('a1b2c3');
  });

  it('its identifiers are the name, IP and EDR id it was given, lower-cased, and the identity is the first of them', () => {
    expect(identifiersOf({ hostname: 'LAB-01', ip: '2001:DB8::10', edr_id: 'a1B2c3' })).toEqual(['lab-01', '2001:db8::10', 'a1b2c3']);
    expect(identifiersOf(BY_IP)).toEqual(['10.20.1.99']);
    expect(identifiersOf({})).toEqual([]);
    fc.assert(
      fc.property(hostArbitrary, (host) => {
        const identifiers = identifiersOf(host);
        if (identifiers.length > 0) expect(identifiers[0]).toBe(hostIdentity(host));
      }),
    );
  });
});

describe('when two hosts of a webhook are one', () => {
  it('the same name and EDR id in another case, with the same IP, is the same host', () => {
    expect(hostKey({ hostname: 'FIN-WS-042', ip: '10.0.0.5', edr_id: 'AbC' })).toBe(hostKey({ hostname: 'fin-ws-042', ip: '10.0.0.5', edr_id: 'abc' }));
  });

  it('a host given with one more identifier, or another one, is another host', () => {
    const named: HostIdentifiers = { hostname: 'fin-ws-042' };
    expect(hostKey({ ...named, ip: '10.0.0.5' })).not.toBe(hostKey(named));
    expect(hostKey({ ...named, edr_id: 'abc' })).not.toBe(hostKey(named));
    expect(hostKey({ hostname: 'fin-ws-043' })).not.toBe(hostKey(named));
    expect(hostKey({ ip: '10.0.0.5' })).not.toBe(hostKey({ ip: '10.0.0.6' }));
  });

  it('an IP is compared as written: the dedupe key does not normalise it (the matcher does)', () => {
    expect(hostKey({ ip: '2001:db8::10' })).not.toBe(hostKey({ ip: '2001:DB8:0:0::10' }));
  });

  it('changing the case of the name or the EDR id never makes another host', () => {
    fc.assert(fc.property(hostArbitrary, (host) => {
      const shouted = { ...host, hostname: host.hostname?.toUpperCase(), edr_id: host.edr_id?.toUpperCase() };
      expect(hostKey(shouted)).toBe(hostKey(host));
    }));
  });
});

describe('a watched host is found by each of its identifiers', () => {
  it('by its EDR id, its name (or short name) and its IP, in any case', () => {
    fc.assert(
      fc.property(hostArbitrary, (host) => {
        const match = createHostMatcher([host]);
        if (host.edr_id !== undefined) expect(match.byRef({ uid: host.edr_id.toUpperCase() })).toBe(host);
        if (host.hostname !== undefined) {
          expect(match.byRef({ hostname: host.hostname.toUpperCase() })).toBe(host);
          expect(match.byRef({ hostname: host.hostname.split('.')[0] })).toBe(host);
        }
        if (host.ip !== undefined) expect(match.byRef({ ip: host.ip })).toBe(host);
      }),
    );
  });
});
