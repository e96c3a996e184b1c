import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BaselineEntry } from '../../src/contracts/connection-event.js';
import type { PrevalenceSnapshot } from '../../src/contracts/prevalence.js';
import type { WatchedHost } from '../../src/contracts/watch.js';
import { BaselineSnapshotSchema, buildBaseline, compileBaseline } from '../../src/detect/baseline.js';
import { createDetector } from '../../src/detect/detector.js';
import { compileEstate } from '../../src/detect/estate.js';
import { hostIdentity } from '../../src/contracts/host-identity.js';
import { DetectionSettingsSchema } from '../../src/detect/settings.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-11-20T10:00:00Z');
const HOST: WatchedHost = { hostname: 'WORKSTATION5', ip: '172.18.39.5', baseline: 'ready' };
const PEER: WatchedHost = { hostname: 'WORKSTATION6', ip: '172.18.39.6', baseline: 'ready' };
const TOOL = 'C:\\Tools\\sync.exe';
const TOOL_SHA1 = '0123456789abcdef0123456789abcdef01234567';
const settings = DetectionSettingsSchema.parse({
  networks: { internal: ['172.18.0.0/16'] },
  ports: { known_good: [{ port: 9100, protocol: 'tcp', reason: 'printing' }] },
  builtin_catalog: false,
});

const row = (host: string, fields: Partial<BaselineEntry>): BaselineEntry => ({
  host,
  protocol: 'tcp',
  count: 500,
  first_seen: T0,
  last_seen: T0 + DAY,
  ...fields,
});

const ENTRIES: BaselineEntry[] = [
  row('workstation5.theshire.local', { process_path: TOOL, sha1: TOOL_SHA1.toUpperCase(), dst_ip: '172.18.38.5', dst_port: 445 }),
  row('WORKSTATION5', { process_path: 'C:\\Windows\\System32\\svchost.exe', dst_ip: '127.0.0.1', dst_port: 8080 }),
  row('WORKSTATION5', { process_path: 'C:\\Windows\\System32\\mshta.exe', dst_ip: '10.10.10.5', dst_port: 443 }),
  row('172.18.39.6', { process_name: 'updater.exe', dst_ip: '192.0.2.80', dst_hostname: 'updates.vendor.example', dst_port: 443 }),
  row('172.18.39.6', { process_name: 'updater.exe', dst_ip: '192.0.2.80', dst_port: 443, count: 0 }),
  row('WORKSTATION9', { process_name: 'backup.exe', dst_ip: '192.0.2.99', dst_port: 10000 }),
];

function snapshotOf() {
  return buildBaseline(ENTRIES, [HOST, PEER], settings, { blocked: [{ type: 'ip', value: '10.10.10.5' }] });
}

describe('baseline of the affected hosts', () => {
  it('keeps per-host process history, tuples and destinations, and environment prevalence including unwatched hosts', () => {
    const snapshot = snapshotOf();
    const ws5 = snapshot.hosts.find((host) => host.host === hostIdentity(HOST));
    expect(ws5?.processes).toEqual(['c:\\tools\\sync.exe']);
    expect(ws5?.sha1s).toEqual([TOOL_SHA1]);
    expect(ws5?.destinations).toEqual(['172.18.38.5']);
    expect(snapshot.environment.host_count).toBe(3);
    expect(snapshot.environment.ports).toContainEqual(['tcp', 443, 1]);
    expect(snapshot.environment.ports).toContainEqual(['tcp', 10000, 1]);
    expect(snapshot.environment.known_good).toEqual([['tcp', 9100, 9100]]);
    expect(snapshot.window).toEqual({ from: T0, to: T0 + DAY });
    expect(snapshot.event_count).toBe(1500);
  });

  it('leaves out rows to the blocked C2 and to loopback, so neither makes a process look networked', () => {
    const snapshot = snapshotOf();
    expect(snapshot.excluded_rows).toBe(2);
    const compiled = compileBaseline(snapshot);
    expect(compiled.processHosts('c:\\windows\\system32\\mshta.exe')).toBe(0);
    expect(compiled.processHosts('c:\\windows\\system32\\svchost.exe')).toBe(0);
    expect(compiled.destinationHosts('10.10.10.5')).toBe(0);
  });

  it('survives a JSON round trip through Redis unchanged, with telemetry strings that look like object keys', () => {
    const odd = [...ENTRIES, row('WORKSTATION5', { process_name: '__proto__', dst_hostname: 'constructor', dst_port: 1 })];
    const snapshot = buildBaseline(odd, [HOST, PEER], settings);
    const restored = BaselineSnapshotSchema.parse(JSON.parse(JSON.stringify(snapshot)));
    expect(restored).toEqual(snapshot);
    const compiled = compileBaseline(restored);
    expect(compiled.processHosts('__proto__')).toBe(1);
    expect(compiled.destinationHosts('constructor')).toBe(1);
    expect(compiled.destinationHosts('toString')).toBe(0);
  });

  it('counts port prevalence per protocol, and reads known-good seeds', () => {
    const compiled = compileBaseline(snapshotOf());
    expect(compiled.portHosts('tcp', 443)).toBe(1);
    expect(compiled.portHosts('udp', 443)).toBe(0);
    expect(compiled.portHosts('sctp', 443)).toBe(0);
    expect(compiled.isKnownGoodPort('tcp', 9100)).toBe(true);
    expect(compiled.isKnownGoodPort('udp', 9100)).toBe(false);
    expect(compiled.windowMs).toBe(DAY);
  });

  it('an empty baseline compiles and judges on priors alone', () => {
    const compiled = compileBaseline(buildBaseline([], [HOST], settings));
    expect(compiled.hostCount).toBe(0);
    expect(compiled.windowMs).toBeUndefined();
  });
});

describe('process identity against the baseline', () => {
  const detector = createDetector({
    context: { watchId: 'w', incidentId: 'i', blocked: [{ type: 'ip', value: '10.10.10.5' }], hosts: [HOST, PEER] },
    baseline: compileBaseline(snapshotOf()),
    settings,
  });
  const assess = (path: string, sha1?: string, dst = { ip: '172.18.38.5', port: 445 }) =>
    detector.assess({
      id: 'e',
      source: 'sysmon',
      time: T0 + 8 * DAY,
      device: { hostname: 'WORKSTATION5.theshire.local' },
      process: { path, sha1 },
      dst_endpoint: dst,
      protocol: 'tcp',
      direction: 'outbound',
      outcome: 'success',
    });

  it('a renamed copy of a known binary is caught by its SHA-1: known code, but renaming it is itself suspicious', () => {
    const renamed = assess('C:\\ProgramData\\x\\renamed.exe', TOOL_SHA1);
    expect(renamed.type).toBe('finding');
    if (renamed.type === 'finding') {
      expect(renamed.finding.kind).toEqual(['quiet_process', 'protocol_shift']);
      // Renamed, and speaking SMB to the DC from outside the installed folders: lateral tooling, not a sync.
      expect(renamed.finding.severity).toBe('high');
      expect(renamed.finding.reasons).toContain('renamed.exe is a renamed copy of sync.exe: the baseline knows its SHA-1 under that name');
    }
    expect(assess('C:\\Tools\\SYNC.EXE', TOOL_SHA1)).toEqual({ type: 'normal' });
    const unknown = assess('C:\\ProgramData\\x\\renamed.exe', 'e'.repeat(40), { ip: '192.0.2.200', port: 4444 });
    expect(unknown.type === 'finding' && unknown.finding.kind).toEqual(['quiet_process', 'uncommon_port', 'new_destination']);
    expect(unknown.type === 'finding' && unknown.finding.reasons.join('\n')).not.toContain('renamed copy');
  });

  it('records the file names each hash ran under, so renames can be told from copies', () => {
    expect(snapshotOf().environment.sha1_names).toContainEqual([TOOL_SHA1, ['sync.exe']]);
    expect(compileBaseline(snapshotOf()).sha1Names(TOOL_SHA1)).toEqual(['sync.exe']);
    const older = JSON.parse(JSON.stringify(snapshotOf())) as { environment: Record<string, unknown> };
    delete older.environment.sha1_names;
    expect(BaselineSnapshotSchema.parse(older).environment.sha1_names).toEqual([]);
  });

  it('a known name at a new, user-writable path with another hash is not the known binary', () => {
    const result = assess('C:\\Users\\Public\\sync.exe', 'f'.repeat(40));
    expect(result.type).toBe('finding');
    if (result.type === 'finding') expect(result.finding.kind).toEqual(['quiet_process', 'protocol_shift']);
  });

  it('the implant process whose only history was the blocked C2 is quiet', () => {
    const result = assess('C:\\Windows\\System32\\mshta.exe');
    expect(result.type).toBe('finding');
    if (result.type === 'finding') {
      expect(result.finding.reasons[0]).toBe('mshta.exe has made no network connection on WORKSTATION5 in 25 h of telemetry over 1 day');
    }
  });
});

describe('estate-wide prevalence in the baseline', () => {
  const read = (source: string, fields: Partial<PrevalenceSnapshot>): PrevalenceSnapshot => ({
    version: 1,
    source,
    from: '2026-11-13T10:00:00.000Z',
    to: '2026-11-20T10:00:00.000Z',
    refreshed_at: '2026-11-20T10:00:05.000Z',
    host_count: 0,
    ports: [],
    destinations: [],
    partial: false,
    ...fields,
  });
  const ESTATE = [
    read('mde', {
      host_count: 412,
      ports: [
        { protocol: 'tcp', port: 443, hosts: 405 },
        { protocol: 'TCP', port: 8530, hosts: 380 },
        { protocol: 'icmp', port: null, hosts: 12 },
      ],
      destinations: [
        { destination: 'Updates.Vendor.Example.', hosts: 300 },
        { destination: '10.10.10.5', hosts: 3 },
        { destination: '0:0:0:0:0:ffff:c000:25b', hosts: 40 },
        { destination: '127.0.0.1', hosts: 400 },
      ],
    }),
    read('panos', { host_count: 398, ports: [{ protocol: 'tcp', port: 443, hosts: 410 }], partial: true }),
  ];
  const snapshot = () => buildBaseline(ENTRIES, [HOST, PEER], settings, { blocked: [{ type: 'ip', value: '10.10.10.5' }], estate: ESTATE });

  it('counts hosts, ports and destinations across the estate, each the largest any source reports', () => {
    const compiled = compileBaseline(snapshot());
    expect(compiled.hostCount).toBe(412);
    expect(compiled.portHosts('tcp', 443)).toBe(410);
    expect(compiled.portHosts('tcp', 8530)).toBe(380);
    expect(compiled.portHosts('icmp', undefined)).toBe(12);
    expect(compiled.portHosts('tcp', 10000)).toBe(1);
    expect(compiled.destinationHosts('updates.vendor.example')).toBe(300);
    expect(compiled.destinationHosts('192.0.2.91')).toBe(40);
    expect(snapshot().environment.estate).toEqual([
      { source: 'mde', from: ESTATE[0]!.from, to: ESTATE[0]!.to, host_count: 412, partial: false },
      { source: 'panos', from: ESTATE[1]!.from, to: ESTATE[1]!.to, host_count: 398, partial: true },
    ]);
  });

  it('never lets the estate make the blocked C2 or loopback look normal', () => {
    const compiled = compileBaseline(snapshot());
    expect(compiled.destinationHosts('10.10.10.5')).toBe(0);
    expect(compiled.destinationHosts('127.0.0.1')).toBe(0);
  });

  it('judges a port against the estate: common across it is not uncommon, unseen in it says so out of the estate size', () => {
    const detector = createDetector({
      context: { watchId: 'w', incidentId: 'i', blocked: [{ type: 'ip', value: '10.10.10.5' }], hosts: [HOST, PEER] },
      baseline: compileBaseline(snapshot()),
      settings,
    });
    const assess = (port: number) =>
      detector.assess({
        id: `e-${port}`,
        source: 'mde',
        time: T0 + 8 * DAY,
        device: { hostname: 'WORKSTATION5' },
        process: { path: TOOL, sha1: TOOL_SHA1 },
        dst_endpoint: { ip: '198.51.100.7', port },
        protocol: 'tcp',
        direction: 'outbound',
        outcome: 'success',
      });
    const unseen = assess(8443);
    expect(unseen.type === 'finding' && unseen.finding.reasons).toContain('port 8443/tcp was seen on 0 of 412 hosts in the baseline');
    const common = assess(8530);
    expect(common.type === 'finding' && common.finding.kind).not.toContain('uncommon_port');
  });

  it('a snapshot stored before estate reads existed reads as having none', () => {
    const older = JSON.parse(JSON.stringify(snapshotOf())) as { environment: Record<string, unknown> };
    delete older.environment.estate;
    expect(BaselineSnapshotSchema.parse(older).environment.estate).toEqual([]);
  });
});

describe('compiled baseline lookups', () => {
  const PROCESSES = ['c:\\tools\\sync.exe', 'c:\\windows\\system32\\svchost.exe', 'updater.exe'];
  const DESTINATIONS = ['192.0.2.1', '192.0.2.10', '192.0.2.2', 'a.example', 'b.example', 'constructor', '10.10.10.5'];
  const PORTS = [null, 53, 443, 8443];
  const PROTOCOLS = ['tcp', 'udp', 'icmp'];
  const maybe = <T>(values: readonly T[]) => fc.option(fc.constantFrom(...values), { nil: null });
  const tuple = fc.tuple(fc.constantFrom(...PROCESSES), maybe(DESTINATIONS), maybe(DESTINATIONS), fc.constantFrom(...PORTS), fc.constantFrom(...PROTOCOLS));
  const counts = (keys: readonly string[]) => fc.array(fc.tuple(fc.constantFrom(...keys), fc.nat(20)), { maxLength: 12 });
  const estateRead = fc.record({
    host_count: fc.nat(500),
    ports: fc.array(fc.record({ protocol: fc.constantFrom(...PROTOCOLS), port: fc.constantFrom(...PORTS), hosts: fc.nat(20) }), { maxLength: 4 }),
    destinations: fc.array(fc.record({ destination: fc.constantFrom(...DESTINATIONS), hosts: fc.nat(20) }), { maxLength: 8 }),
    partial: fc.boolean(),
  });

  it('answer every question as the snapshot lists it, however tuples, counts and shared estate reads overlap', () => {
    fc.assert(
      fc.property(fc.array(tuple, { maxLength: 30 }), counts(DESTINATIONS), counts(PROCESSES), fc.array(estateRead, { maxLength: 2 }), (tuples, destinations, processes, reads) => {
        const snapshot = BaselineSnapshotSchema.parse({
          version: 1,
          window: { from: T0, to: T0 + DAY },
          event_count: tuples.length,
          excluded_rows: 0,
          hosts: [{ host: hostIdentity(HOST), label: 'WORKSTATION5', rows: tuples.length, processes: PROCESSES.slice(1), sha1s: [], tuples, destinations: [] }],
          environment: { host_count: 3, ports: [], destinations, processes, sha1s: [], known_good: [] },
        });
        const estates = reads.map((fields, index) =>
          compileEstate(`read-${index}`, { version: 1, source: `s${index}`, from: '', to: '', refreshed_at: '', ...fields }),
        );
        const blocked = [{ type: 'ip' as const, value: '10.10.10.5' }];
        const compiled = compileBaseline(snapshot, { estates, blocked });
        const host = compiled.hosts.get(hostIdentity(HOST));
        const lastCount = (list: readonly (readonly [string, number])[], key: string) => list.filter(([k]) => k === key).at(-1)?.[1] ?? 0;
        const wrong: string[] = [];
        const check = (question: string, got: unknown, want: unknown) => {
          if (got !== want) wrong.push(`${question}: ${String(got)}, not ${String(want)}`);
        };
        for (const process of PROCESSES) {
          check(`processHosts ${process}`, compiled.processHosts(process), lastCount(processes, process));
          for (const protocol of PROTOCOLS) {
            for (const rawPort of PORTS) {
              const port = rawPort ?? undefined;
              const same = (t: (typeof tuples)[number]) => t[3] === rawPort && t[4] === protocol;
              check(`usedPort ${protocol}/${port}`, host?.usedPort(protocol, port), tuples.some(same));
              check(`processUsedPort ${process} ${protocol}/${port}`, host?.processUsedPort(process, protocol, port), tuples.some((t) => t[0] === process && same(t)));
              for (const ip of [...DESTINATIONS, undefined]) {
                for (const name of [...DESTINATIONS, undefined]) {
                  // A tuple's address and name are both destinations: either may answer the event's address or name.
                  const reached = (t: (typeof tuples)[number]) => [t[1], t[2]].some((known) => known !== null && (known === ip || known === name));
                  const seen = tuples.some((t) => t[0] === process && same(t) && reached(t));
                  check(`hasTuple ${process} ${ip} ${name} ${protocol}/${port}`, host?.hasTuple(process, ip, name, port, protocol), seen);
                }
              }
            }
          }
        }
        for (const destination of DESTINATIONS) {
          const estateCount =
            destination === '10.10.10.5' ? 0 : Math.max(0, ...reads.flatMap((read) => read.destinations.filter((row) => row.destination === destination).map((row) => row.hosts)));
          check(`destinationHosts ${destination}`, compiled.destinationHosts(destination), Math.max(lastCount(destinations, destination), estateCount));
        }
        expect(wrong).toEqual([]);
      }),
    );
  });
});
