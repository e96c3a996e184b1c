import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConnectionEvent } from '../../src/contracts/connection-event.js';
import { createHostMatcher, type HostIdentifiers } from '../../src/contracts/host-identity.js';
import { HostIndex, routeEvents } from '../../src/watch/host-index.js';

/** Few identifiers, so that watches share IPs, EDR ids and short names, as hosts of overlapping incidents do. */
const LABELS = ['fin-ws-042', 'hr-ws-007', 'lab-01', 'db'];
const DOMAINS = ['corp.example', 'lab.example'];
const IPS = ['10.20.1.42', '10.20.1.7', '2001:db8::10', '192.0.2.5'];
const UIDS = ['a1B2c3', 'ZZ9', 'dev-7'];

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const anyCase = (text: string) => fc.constantFrom(text, text.toUpperCase(), text.toLowerCase());
const hostname = fc.oneof(
  fc.constantFrom(...LABELS).chain(anyCase),
  fc.tuple(fc.constantFrom(...LABELS), fc.constantFrom(...DOMAINS)).chain(([label, domain]) => anyCase(`${label}.${domain}`)),
);
const host: fc.Arbitrary<HostIdentifiers> = fc.record(
  { hostname, ip: fc.constantFrom(...IPS), edr_id: fc.constantFrom(...UIDS).chain(anyCase) },
  { requiredKeys: [] },
);
/** How telemetry writes the same identifiers: other case, an FQDN for a short name, IPs in other notations, or noise. */
const telemetryIp = fc.oneof(fc.constantFrom(...IPS), fc.constantFrom('010.020.001.042', '2001:DB8:0:0::10', '2001:db8:0::10', '::ffff:10.20.1.7'), fc.ipV4());
const telemetryName = fc.oneof(hostname, fc.constantFrom(...LABELS).map((label) => `${label}.other.example`), fc.constant(''), fc.domain());
const device = fc.record({ hostname: maybe(telemetryName), uid: maybe(fc.oneof(fc.constantFrom(...UIDS).chain(anyCase), fc.string())), ip: maybe(telemetryIp) });

const eventOf = (ref: ConnectionEvent['device'], index: number): ConnectionEvent => ({
  id: `e-${index}`,
  source: 's',
  time: index,
  device: ref,
  dst_endpoint: { ip: '192.0.2.1', port: 443 },
  protocol: 'tcp',
  direction: 'outbound',
  outcome: 'success',
});

describe('routing events to watches through a host index', () => {
  it('gives each watch exactly the events, and hosts, its own matcher gives when every event is matched against it', () => {
    fc.assert(
      fc.property(fc.array(fc.array(host, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 }), fc.array(device, { maxLength: 60 }), (watches, devices) => {
        const events = devices.map(eventOf);
        const owners = watches.map((hosts, watch) => ({ owner: watch, hosts, match: createHostMatcher(hosts) }));
        const routed = routeEvents(owners, events);
        for (const { owner, hosts, match } of owners) {
          const expected = events.flatMap((event) => {
            const matched = match(event);
            return matched ? [[event.id, hosts.indexOf(matched)]] : [];
          });
          const actual = (routed.get(owner) ?? []).map(({ event, host: matched }) => [event.id, hosts.indexOf(matched)]);
          expect(actual).toEqual(expected);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('routes each event by its own device, even when devices differ only in where a hostile name puts a separator', () => {
    const byUid: HostIdentifiers[] = [{ edr_id: 'dev-7' }];
    const byName: HostIdentifiers[] = [{ hostname: 'fin-ws-042' }];
    const owners = [
      { owner: 'by-uid', hosts: byUid, match: createHostMatcher(byUid) },
      { owner: 'by-name', hosts: byName, match: createHostMatcher(byName) },
    ];
    const devices = [{ uid: 'dev-7', hostname: 'fin-ws-042' }, { uid: 'dev-7\nfin-ws-042' }, { uid: 'dev-7|fin-ws-042' }, { uid: 'dev-7' }];
    const routed = routeEvents(owners, devices.map(eventOf));
    expect(routed.get('by-uid')?.map(({ event }) => event.id)).toEqual(['e-0', 'e-3']);
    expect(routed.get('by-name')?.map(({ event }) => event.id)).toEqual(['e-0']);
  });

  it('offers a watch for an event only when the event shares an identifier with one of its hosts', () => {
    const index = new HostIndex([
      { owner: 'short', hosts: [{ hostname: 'FIN-WS-042' }] },
      { owner: 'fqdn', hosts: [{ hostname: 'hr-ws-007.corp.example', ip: '10.20.1.7' }] },
      { owner: 'edr', hosts: [{ edr_id: 'A1b2C3' }] },
    ]);
    expect(index.candidates({ hostname: 'fin-ws-042.corp.example' })).toEqual(['short']);
    expect(index.candidates({ hostname: 'HR-WS-007' })).toEqual(['fqdn']);
    expect(index.candidates({ ip: '010.020.001.007' })).toEqual(['fqdn']);
    expect(index.candidates({ uid: 'a1b2c3', hostname: 'fin-ws-042' })).toEqual(['edr', 'short']);
    expect(index.candidates({ hostname: 'db-01', ip: '10.20.1.8', uid: 'other' })).toEqual([]);
  });
});
