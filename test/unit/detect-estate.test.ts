import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BaselineEntry, ConnectionEvent } from '../../src/contracts/connection-event.js';
import type { Indicator } from '../../src/contracts/containment-request.js';
import type { PrevalenceSnapshot } from '../../src/contracts/prevalence.js';
import type { WatchedHost } from '../../src/contracts/watch.js';
import { buildBaseline, compileBaseline } from '../../src/detect/baseline.js';
import { createDetector } from '../../src/detect/detector.js';
import { compileEstate } from '../../src/detect/estate.js';
import { DetectionSettingsSchema } from '../../src/detect/settings.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-11-20T10:00:00Z');
const HOST: WatchedHost = { hostname: 'WORKSTATION5', ip: '172.18.39.5', baseline: 'ready' };
const PEER: WatchedHost = { hostname: 'WORKSTATION6', ip: '172.18.39.6', baseline: 'ready' };
const BLOCKED: Indicator[] = [
  { type: 'ip', value: '10.10.10.5' },
  { type: 'cidr', value: '198.51.100.0/24' },
  { type: 'domain', value: 'c2.evil.example' },
];
const settings = DetectionSettingsSchema.parse({ networks: { internal: ['172.18.0.0/16'] }, builtin_catalog: false });

const row = (host: string, fields: Partial<BaselineEntry>): BaselineEntry => ({
  host,
  protocol: 'tcp',
  count: 40,
  first_seen: T0,
  last_seen: T0 + DAY,
  ...fields,
});
const ENTRIES: BaselineEntry[] = [
  row('WORKSTATION5', { process_path: 'C:\\Tools\\sync.exe', dst_ip: '172.18.38.5', dst_port: 445 }),
  row('WORKSTATION6', { process_name: 'updater.exe', dst_ip: '192.0.2.80', dst_hostname: 'updates.vendor.example', dst_port: 443 }),
  row('WORKSTATION9', { process_name: 'backup.exe', dst_ip: '192.0.2.99', dst_port: 10000 }),
];

/** Destinations as sources report them: mixed case, trailing dots, IPv4-mapped, blocked, loopback, multicast. */
const DESTINATIONS = [
  'Updates.Vendor.Example.',
  'updates.vendor.example',
  '192.0.2.91',
  '0:0:0:0:0:ffff:c000:25b',
  '192.0.2.99',
  '10.10.10.5',
  '198.51.100.4',
  'c2.evil.example',
  'cdn.c2.evil.example',
  '127.0.0.1',
  '224.0.0.251',
  'cdn.example',
];
const LOOKED_UP = ['updates.vendor.example', '192.0.2.91', '192.0.2.99', '10.10.10.5', '198.51.100.4', 'c2.evil.example', 'cdn.c2.evil.example', '127.0.0.1', '224.0.0.251', 'cdn.example', '203.0.113.9'];
const PROTOCOLS = ['tcp', 'TCP', 'udp', 'icmp'];
const PORTS = [null, 53, 443, 445, 8443, 8530, 10000];

const readArbitrary = (source: string) =>
  fc.record({
    host_count: fc.integer({ min: 0, max: 600 }),
    partial: fc.boolean(),
    ports: fc.array(
      fc.record({ protocol: fc.constantFrom(...PROTOCOLS), port: fc.constantFrom(...PORTS), hosts: fc.integer({ min: 0, max: 600 }) }),
      { maxLength: 12 },
    ),
    destinations: fc.array(fc.record({ destination: fc.constantFrom(...DESTINATIONS), hosts: fc.integer({ min: 0, max: 600 }) }), { maxLength: 12 }),
  }).map(
    (fields): PrevalenceSnapshot => ({
      version: 1,
      source,
      from: '2026-11-13T10:00:00.000Z',
      to: '2026-11-20T10:00:00.000Z',
      refreshed_at: '2026-11-20T10:00:05.000Z',
      ...fields,
    }),
  );

function bothWays(reads: readonly PrevalenceSnapshot[]) {
  const embedded = compileBaseline(buildBaseline(ENTRIES, [HOST, PEER], settings, { blocked: BLOCKED, estate: reads }));
  const estateReads = reads.map((read, index) => ({ id: `read-${index}`, read }));
  const snapshot = buildBaseline(ENTRIES, [HOST, PEER], settings, { blocked: BLOCKED, estateReads });
  const referenced = compileBaseline(snapshot, { estates: estateReads.map(({ id, read }) => compileEstate(id, read)), blocked: BLOCKED });
  return { embedded, referenced, snapshot };
}

const event = (destination: string, protocol: string, port: number | null): ConnectionEvent => ({
  id: `e-${destination}-${protocol}-${port}`,
  source: 'mde',
  time: T0 + 8 * DAY,
  device: { hostname: 'WORKSTATION5' },
  process: { path: 'C:\\Tools\\sync.exe' },
  dst_endpoint: /^[\d.:]+$/.test(destination) ? { ip: destination, ...(port !== null && { port }) } : { hostname: destination, ...(port !== null && { port }) },
  protocol,
  direction: 'outbound',
  outcome: 'success',
});

describe('an estate read referenced by the baseline instead of embedded in it', () => {
  it('gives the same counts and the same judgement of every event', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(readArbitrary('mde'), readArbitrary('panos')), { minLength: 1, maxLength: 3 }), (reads) => {
        const { embedded, referenced } = bothWays(reads);
        expect(referenced.hostCount).toBe(embedded.hostCount);
        expect(referenced.hostHours).toBe(embedded.hostHours);
        for (const protocol of ['tcp', 'udp', 'icmp']) {
          for (const port of PORTS) expect(referenced.portHosts(protocol, port ?? undefined)).toBe(embedded.portHosts(protocol, port ?? undefined));
        }
        for (const destination of LOOKED_UP) expect(referenced.destinationHosts(destination)).toBe(embedded.destinationHosts(destination));

        const context = { watchId: 'w', incidentId: 'i', blocked: BLOCKED, hosts: [HOST, PEER], blockedAt: T0 + DAY };
        const judgeEmbedded = createDetector({ context, baseline: embedded, settings, now: () => T0 + 8 * DAY });
        const judgeReferenced = createDetector({ context, baseline: referenced, settings, now: () => T0 + 8 * DAY });
        for (const destination of LOOKED_UP) {
          for (const protocol of ['tcp', 'udp']) {
            for (const port of PORTS) {
              const connection = event(destination, protocol, port);
              expect(judgeReferenced.assess(connection)).toEqual(judgeEmbedded.assess(connection));
            }
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('keeps only the read id and what the coverage shows in the snapshot, not the counts', () => {
    const read: PrevalenceSnapshot = {
      version: 1,
      source: 'mde',
      from: '2026-11-13T10:00:00.000Z',
      to: '2026-11-20T10:00:00.000Z',
      refreshed_at: '2026-11-20T10:00:05.000Z',
      host_count: 412,
      ports: [{ protocol: 'tcp', port: 8530, hosts: 380 }],
      destinations: [{ destination: 'cdn.example', hosts: 300 }],
      partial: false,
    };
    const { snapshot, referenced, embedded } = bothWays([read]);
    expect(snapshot.environment.estate).toEqual([{ source: 'mde', from: read.from, to: read.to, host_count: 412, partial: false, read: 'read-0' }]);
    expect(snapshot.environment.host_count).toBe(3);
    expect(snapshot.environment.ports).not.toContainEqual(['tcp', 8530, 380]);
    expect(snapshot.environment.destinations).not.toContainEqual(['cdn.example', 300]);
    expect(referenced.portHosts('tcp', 8530)).toBe(380);
    expect(embedded.portHosts('tcp', 8530)).toBe(380);
    expect(referenced.destinationHosts('cdn.example')).toBe(300);
    expect(referenced.hostCount).toBe(412);
  });
});
