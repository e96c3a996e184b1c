import { describe, expect, it } from 'vitest';
import type { BaselineEntry, ConnectionEvent } from '../../src/contracts/connection-event.js';
import type { WatchedHost } from '../../src/contracts/watch.js';
import { buildBaseline, compileBaseline } from '../../src/detect/baseline.js';
import { createDetector } from '../../src/detect/detector.js';
import { DetectionSettingsSchema, type DetectionSettingsInput } from '../../src/detect/settings.js';
import type { Assessment } from '../../src/detect/types.js';

const DAY = 86_400_000;
const BLOCKED_AT = Date.parse('2026-11-27T10:00:00Z');
const HOSTS: WatchedHost[] = [
  { hostname: 'FIN-WS-042', ip: '10.20.1.42', baseline: 'ready' },
  { hostname: 'FIN-WS-043', ip: '10.20.1.43', baseline: 'ready' },
];
const SVCHOST = 'C:\\Windows\\System32\\svchost.exe';
const AGENT = 'C:\\Program Files\\Vendor\\agent.exe';
const NETWORKS = { internal: ['10.20.0.0/16'], resolvers: ['10.20.0.10', '10.20.0.11'] };

const row = (host: string, fields: Partial<BaselineEntry>): BaselineEntry => ({
  host,
  protocol: 'tcp',
  count: 500,
  first_seen: BLOCKED_AT - 6 * DAY,
  last_seen: BLOCKED_AT - DAY,
  ...fields,
});

/** A week in which hosts resolve through the corporate resolvers, use the file server, and are pinged by monitoring. */
const WEEK: BaselineEntry[] = ['FIN-WS-042', 'FIN-WS-043'].flatMap((host) => [
  row(host, { process_path: SVCHOST, dst_ip: '10.20.0.10', dst_port: 53, protocol: 'udp' }),
  row(host, { process_path: SVCHOST, dst_ip: '10.20.0.20', dst_port: 445 }),
  row(host, { process_path: AGENT, dst_ip: '198.18.0.10', dst_hostname: 'api.vendor.example', dst_port: 443 }),
  row(host, { dst_ip: '10.20.0.1', protocol: 'icmp' }),
  row(host, { process_path: AGENT, dst_ip: '8.8.8.8', dst_port: 443 }),
]);

function detectorFor(input: DetectionSettingsInput = {}) {
  const settings = DetectionSettingsSchema.parse({ networks: NETWORKS, ...input });
  const context = { watchId: 'w-shift', incidentId: 'INC-9', blocked: [{ type: 'ip' as const, value: '203.0.113.7' }], hosts: HOSTS };
  const snapshot = buildBaseline(WEEK, HOSTS, settings, { window: { from: BLOCKED_AT - 7 * DAY, to: BLOCKED_AT } });
  return createDetector({ context, baseline: compileBaseline(snapshot), settings, now: () => BLOCKED_AT });
}

let next = 0;
function connection(fields: {
  path?: string;
  ip: string;
  port?: number;
  protocol: string;
  bytesOut?: number;
  bytesIn?: number;
  icmp?: { type: number; code?: number };
}): ConnectionEvent {
  return {
    id: `shift-${next++}`,
    source: 'fw',
    time: BLOCKED_AT + 5 * 60_000,
    device: { hostname: 'FIN-WS-042', ip: '10.20.1.42' },
    ...(fields.path !== undefined && { process: { path: fields.path, cmd_line: `"${fields.path}"` } }),
    dst_endpoint: { ip: fields.ip, port: fields.port },
    protocol: fields.protocol,
    direction: 'outbound',
    outcome: 'success',
    bytes_out: fields.bytesOut,
    bytes_in: fields.bytesIn,
    ...(fields.icmp !== undefined && { icmp: fields.icmp }),
  };
}

function finding(assessment: Assessment) {
  if (assessment.type !== 'finding') throw new Error(`expected a finding, got ${JSON.stringify(assessment)}`);
  return assessment.finding;
}

describe('DNS that bypasses the corporate resolvers', () => {
  it('DNS straight to a new public resolver (tunnelling) is a medium protocol_shift finding, explained', () => {
    const found = finding(detectorFor().assess(connection({ path: SVCHOST, ip: '1.1.1.1', port: 53, protocol: 'udp' })));
    expect(found.kind).toEqual(['new_destination', 'protocol_shift']);
    expect(found.severity).toBe('medium');
    expect(found.reasons).toEqual(['1.1.1.1 is a bare IP (no DNS name) never contacted in the baseline', 'sends DNS to 1.1.1.1, which is not a corporate resolver']);
  });

  it('even to an address the estate knows, DNS past the resolvers is reported, as low; over TCP too', () => {
    const found = finding(detectorFor().assess(connection({ path: AGENT, ip: '8.8.8.8', port: 53, protocol: 'udp' })));
    expect(found.kind).toEqual(['protocol_shift']);
    expect(found.severity).toBe('low');
    const overTcp = finding(detectorFor().assess(connection({ path: AGENT, ip: '8.8.8.8', port: 53, protocol: 'tcp' })));
    expect(overTcp.kind).toContain('protocol_shift');
  });

  it('DNS to a configured resolver, or to an internal server that is not one, stays quiet', () => {
    const detector = detectorFor();
    expect(detector.assess(connection({ path: SVCHOST, ip: '10.20.0.11', port: 53, protocol: 'udp' }))).toEqual({ type: 'normal' });
    expect(detector.assess(connection({ path: SVCHOST, ip: '10.20.9.9', port: 53, protocol: 'udp' }))).toEqual({ type: 'normal' });
  });

  it('without configured resolvers nothing is "non-corporate": DNS is then judged on destination alone', () => {
    const detector = detectorFor({ networks: { internal: NETWORKS.internal } });
    expect(detector.assess(connection({ path: SVCHOST, ip: '1.1.1.1', port: 53, protocol: 'udp' }))).toEqual({ type: 'normal' });
  });

  it("a domain controller's DNS server recursing to the internet roots is suppressed by the catalog, not reported", () => {
    const event = connection({ path: 'C:\\Windows\\System32\\dns.exe', ip: '198.41.0.4', port: 53, protocol: 'udp' });
    expect(detectorFor().assess(event)).toEqual({ type: 'suppressed', ruleId: 'builtin:dns-server' });
  });
});

describe('ICMP to the outside', () => {
  it('a large ICMP exchange with a new external address is a medium finding that names the bytes', () => {
    const found = finding(detectorFor().assess(connection({ ip: '192.0.2.9', protocol: 'icmp', bytesOut: 900, bytesIn: 900 })));
    expect(found.kind).toEqual(['new_destination', 'protocol_shift']);
    expect(found.severity).toBe('medium');
    expect(found.reasons).toContain('ICMP to external address 192.0.2.9 carrying 1800 bytes: tunnels hide data in echo payloads');
  });

  it('a plain ping seen by a network sensor stays below min_score, a large one is a finding, and ICMPv6 counts the same', () => {
    const small = detectorFor().assess(connection({ ip: '192.0.2.9', protocol: 'icmp', bytesOut: 64, icmp: { type: 8 } }));
    expect(small).toEqual({ type: 'normal' });
    const large = finding(detectorFor().assess(connection({ ip: '192.0.2.9', protocol: 'icmp', bytesOut: 900, bytesIn: 900, icmp: { type: 8 } })));
    expect(large.kind).toContain('protocol_shift');
    expect(large.reasons).toContain('ICMP to external address 192.0.2.9 carrying 1800 bytes: tunnels hide data in echo payloads');
    expect(finding(detectorFor().assess(connection({ ip: '2001:db8::9', protocol: 'icmpv6', bytesOut: 512, icmp: { type: 128 } }))).kind).toContain('protocol_shift');
  });

  it('ICMP errors and replies answer someone else\'s packet: never a shift, however large', () => {
    const answers = [
      { protocol: 'icmp', icmp: { type: 3, code: 3 } },
      { protocol: 'icmp', icmp: { type: 11, code: 0 } },
      { protocol: 'icmp', icmp: { type: 0 } },
      { protocol: 'icmpv6', icmp: { type: 1, code: 4 } },
      { protocol: 'icmpv6', icmp: { type: 129 } },
    ];
    for (const answer of answers) {
      const ip = answer.protocol === 'icmp' ? '192.0.2.9' : '2001:db8::9';
      const assessment = detectorFor().assess(connection({ ip, ...answer, bytesOut: 1200 }));
      expect(assessment.type === 'finding' && assessment.finding.kind, JSON.stringify(answer)).not.toContain('protocol_shift');
    }
  });

  it('ICMP inside the network is not a shift, and without networks.internal nothing counts as external', () => {
    expect(detectorFor().assess(connection({ ip: '10.20.0.2', protocol: 'icmp', bytesOut: 2000 }))).toEqual({ type: 'normal' });
    const unconfigured = detectorFor({ networks: { resolvers: NETWORKS.resolvers } }).assess(
      connection({ ip: '192.0.2.9', protocol: 'icmp', bytesOut: 2000 }),
    );
    expect(unconfigured.type === 'finding' && unconfigured.finding.kind).not.toContain('protocol_shift');
  });
});

describe('applications on ports not standard for them', () => {
  it('TLS named by the telemetry on port 8081 is a shift; on 443 or 8443 it is not', () => {
    const detector = detectorFor();
    const found = finding(detector.assess(connection({ path: AGENT, ip: '198.18.0.10', port: 8081, protocol: 'tls' })));
    expect(found.kind).toEqual(['uncommon_port', 'protocol_shift']);
    expect(found.reasons).toContain('TLS on port 8081/tls, which is not a standard TLS port');
    for (const port of [443, 8443]) {
      const standard = detector.assess(connection({ path: AGENT, ip: '198.18.0.10', port, protocol: 'tls' }));
      expect(standard.type === 'finding' && standard.finding.kind).not.toContain('protocol_shift');
    }
  });

  it('HTTP on 8000/8080 is standard, DNS on 5300 is not; plain tcp on 8081 says nothing about the application', () => {
    const detector = detectorFor();
    const http = detector.assess(connection({ path: AGENT, ip: '198.18.0.10', port: 8080, protocol: 'http' }));
    expect(http.type === 'finding' && http.finding.kind).not.toContain('protocol_shift');
    expect(finding(detector.assess(connection({ path: AGENT, ip: '198.18.0.10', port: 5300, protocol: 'dns' }))).reasons).toContain(
      'DNS on port 5300/dns, which is not a standard DNS port',
    );
    const plain = detector.assess(connection({ path: AGENT, ip: '198.18.0.10', port: 8081, protocol: 'tcp' }));
    expect(plain.type === 'finding' && plain.finding.kind).not.toContain('protocol_shift');
  });
});

describe('SMB leaving the network', () => {
  it('SMB to an external address is a medium finding; to a new internal file server it stays quiet', () => {
    const detector = detectorFor();
    const found = finding(detector.assess(connection({ path: SVCHOST, ip: '198.51.100.20', port: 445, protocol: 'tcp' })));
    expect(found.kind).toEqual(['new_destination', 'protocol_shift']);
    expect(found.severity).toBe('medium');
    expect(found.reasons).toContain('SMB (port 445/tcp) to external address 198.51.100.20: file shares are not reached across the internet');
    expect(detector.assess(connection({ path: SVCHOST, ip: '10.20.7.7', port: 445, protocol: 'tcp' }))).toEqual({ type: 'normal' });
    expect(finding(detector.assess(connection({ path: SVCHOST, ip: '198.51.100.20', port: 139, protocol: 'tcp' }))).kind).toContain(
      'protocol_shift',
    );
  });
});

describe('remote administration from a binary no installer put in place', () => {
  it('an exe on a Desktop driving another workstation over RPC, SMB or WinRM is a shift; Windows\' own binaries are not', () => {
    const dropped = 'C:\\Users\\pgustavo\\Desktop\\GruntHTTP.exe';
    for (const port of [135, 445, 5985]) {
      const found = finding(detectorFor().assess(connection({ path: dropped, ip: '10.20.1.43', port, protocol: 'tcp' })));
      expect(found.kind).toContain('protocol_shift');
      expect(['medium', 'high']).toContain(found.severity);
    }
    const reason = finding(detectorFor().assess(connection({ path: dropped, ip: '10.20.1.43', port: 135, protocol: 'tcp' }))).reasons;
    expect(reason).toContain(
      `${dropped}, a binary no installer put in place, speaks RPC to 10.20.1.43: remote administration is how tools move between hosts`,
    );
    const windows = detectorFor().assess(connection({ path: 'C:\\Windows\\System32\\dsregcmd.exe', ip: '10.20.1.43', port: 135, protocol: 'tcp' }));
    expect(windows.type === 'finding' ? windows.finding.kind : []).not.toContain('protocol_shift');
  });
});

