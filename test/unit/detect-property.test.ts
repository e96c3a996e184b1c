import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConnectionEventSchema, type ConnectionEvent } from '../../src/contracts/connection-event.js';
import { FindingSchema } from '../../src/contracts/finding.js';
import type { WatchedHost } from '../../src/contracts/watch.js';
import { buildBaseline, compileBaseline } from '../../src/detect/baseline.js';
import type { BeaconTrack } from '../../src/detect/beacon-history.js';
import { createDetector } from '../../src/detect/detector.js';
import { DetectionSettingsSchema } from '../../src/detect/settings.js';

const HOSTS: WatchedHost[] = [
  { hostname: 'FIN-WS-042', ip: '10.20.1.42', edr_id: 'dev-042', baseline: 'ready' },
  { hostname: 'fin-ws-043.corp.example', baseline: 'unavailable' },
];

const settings = DetectionSettingsSchema.parse({
  networks: { internal: ['10.20.0.0/16'], resolvers: ['10.20.0.10'], proxies: ['10.20.0.11'] },
  allow: [
    { reason: 'signed vendor', signer: 'Vendor*' },
    { reason: 'printing', port: '9100-9102', host: 'fin-*', expires: '2030-01-01T00:00:00Z' },
  ],
});

const snapshot = buildBaseline(
  [
    { host: 'FIN-WS-042', process_path: 'C:\\App\\a.exe', dst_ip: '192.0.2.1', dst_port: 443, protocol: 'tcp', count: 5, first_seen: 0, last_seen: 1 },
    { host: 'dev-042', process_name: 'b.exe', dst_hostname: 'b.example', protocol: 'udp', count: 1, first_seen: 0, last_seen: 1 },
  ],
  HOSTS,
  settings,
);

const detector = createDetector({
  context: {
    watchId: 'w',
    incidentId: 'INC-1',
    blocked: [
      { type: 'ip', value: '203.0.113.7' },
      { type: 'cidr', value: '2001:db8::/32' },
      { type: 'domain', value: 'bad.example' },
    ],
    hosts: HOSTS,
  },
  baseline: compileBaseline(snapshot),
  settings,
});

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const ipish = fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended(), fc.constantFrom('10.20.1.42', '203.0.113.7', '::ffff:10.20.0.5', '-', ''), fc.string());
const hostish = fc.oneof(fc.domain(), fc.constantFrom('FIN-WS-042', 'fin-ws-042.corp.example', 'DEV-042', 'bad.example', '-', '.', ''), fc.string());
const pathish = fc.oneof(
  fc.constantFrom(
    'C:\\Windows\\System32\\rundll32.exe',
    'C:\\Users\\Public\\x.exe',
    'C:\\App\\a.exe',
    'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
    '\\',
    '',
    'x/y\\',
  ),
  fc.string(),
);

const eventArb: fc.Arbitrary<ConnectionEvent> = fc.record({
  id: fc.string({ minLength: 1 }),
  source: fc.string({ minLength: 1 }),
  time: fc.integer(),
  device: fc.record({ hostname: maybe(hostish), uid: maybe(hostish), ip: maybe(ipish) }),
  process: maybe(
    fc.record({
      pid: maybe(fc.integer()),
      name: maybe(pathish),
      path: maybe(pathish),
      cmd_line: maybe(fc.string()),
      sha1: maybe(fc.string()),
      signer: maybe(fc.oneof(fc.constantFrom('Vendor Inc', 'Microsoft Windows'), fc.string())),
    }),
  ),
  dst_endpoint: fc.record({ ip: maybe(ipish), port: maybe(fc.oneof(fc.constantFrom(443, 8443, 9100, 49700), fc.integer({ min: -5, max: 70_000 }))), hostname: maybe(hostish) }),
  protocol: fc.oneof(fc.constantFrom('tcp', 'UDP', 'icmp', ''), fc.string()),
  direction: fc.constantFrom('outbound', 'inbound', 'lateral', 'listen', 'unknown'),
  outcome: fc.constantFrom('success', 'failure', 'blocked', 'unknown'),
});

describe('robustness on arbitrary telemetry', () => {
  it('assess never throws, and every finding it returns satisfies the Finding contract', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(eventArb, (event) => {
        expect(ConnectionEventSchema.safeParse(event).success).toBe(true);
        const assessment = detector.assess(event);
        seen.add(assessment.type);
        if (assessment.type === 'finding') {
          const full = { ...assessment.finding, count: 1, first_seen: 'x', last_seen: 'x', sources: [], status: 'open' };
          expect(FindingSchema.safeParse(full).success).toBe(true);
          expect(assessment.finding.score).toBeGreaterThanOrEqual(settings.tuning.min_score);
          expect(assessment.findingId).toMatch(/^[0-9a-f]{16}$/);
        }
      }),
      { numRuns: 3000 },
    );
    // The generator must reach every branch, or the property proves little.
    expect([...seen].sort()).toEqual(['finding', 'ignored', 'normal', 'suppressed']);
  });

  it('observe agrees with assess, and judging with any beacon history never throws nor drops the tuple', () => {
    const trackArb: fc.Arbitrary<BeaconTrack> = fc
      .array(fc.record({ id: fc.string({ minLength: 1 }), time: fc.integer({ min: 0, max: 10_000_000 }), bytes: maybe(fc.nat()) }), { maxLength: 30 })
      .map((samples) => ({ samples: [...samples].sort((a, b) => a.time - b.time), total: samples.length }));
    const regular: BeaconTrack = {
      samples: Array.from({ length: 12 }, (_, index) => ({ id: `r${index}`, time: index * 60_000 })),
      total: 12,
    };
    let judged = 0;
    fc.assert(
      fc.property(eventArb, trackArb, (event, track) => {
        const observation = detector.observe(event);
        expect(observation.assessment).toEqual(detector.assess(event));
        if (observation.assessment.type === 'finding') expect(observation.beaconTuple).toBe(observation.assessment.findingId);
        if (observation.assessment.type === 'ignored' || observation.assessment.type === 'suppressed') {
          expect(observation.beaconTuple).toBeUndefined();
        }
        for (const history of [track, regular]) {
          const result = detector.judgeBeacon(event, history);
          if (result === undefined) continue;
          judged += 1;
          expect(observation.beaconTuple).toBe(result.findingId);
          expect(result.finding.kind).toContain('beaconing');
          expect(result.finding.score).toBeGreaterThanOrEqual(settings.tuning.min_score);
        }
      }),
      { numRuns: 2000 },
    );
    expect(judged).toBeGreaterThan(0);
  });
});
