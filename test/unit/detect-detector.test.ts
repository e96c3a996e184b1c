import { describe, expect, it } from 'vitest';
import type { BaselineEntry, ConnectionEvent } from '../../src/contracts/connection-event.js';
import type { WatchedHost } from '../../src/contracts/watch.js';
import { buildBaseline, compileBaseline } from '../../src/detect/baseline.js';
import { createDetector } from '../../src/detect/detector.js';
import { DetectionSettingsSchema, type DetectionSettingsInput } from '../../src/detect/settings.js';
import type { Assessment, WatchDetectionContext } from '../../src/detect/types.js';

const DAY = 86_400_000;
const BLOCKED_AT = Date.parse('2026-11-27T10:00:00Z');
const BASELINE_FROM = BLOCKED_AT - 7 * DAY;

const HOSTS: WatchedHost[] = [
  { hostname: 'FIN-WS-042', ip: '10.20.1.42', edr_id: 'dev-042', baseline: 'ready' },
  { hostname: 'FIN-WS-043', ip: '10.20.1.43', baseline: 'ready' },
  { hostname: 'FIN-WS-044', ip: '10.20.1.44', baseline: 'ready' },
];

const CONTEXT: WatchDetectionContext = {
  watchId: 'w-1',
  incidentId: 'INC-2041',
  blocked: [
    { type: 'ip', value: '203.0.113.7' },
    { type: 'cidr', value: '198.51.100.0/24' },
    { type: 'domain', value: 'cdn-update.example' },
  ],
  hosts: HOSTS,
};

const CHROME = 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe';
const TEAMS = 'C:\\Users\\alice\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe';
const SVCHOST = 'C:\\Windows\\System32\\svchost.exe';
const RUNDLL32 = 'C:\\Windows\\System32\\rundll32.exe';

function row(host: string, fields: Partial<BaselineEntry>): BaselineEntry {
  return { host, protocol: 'tcp', count: 500, first_seen: BASELINE_FROM + DAY, last_seen: BLOCKED_AT - DAY, ...fields };
}

/** A week of ordinary traffic on the three finance workstations, plus the implant's pre-block beacon on 042. */
function weekOfTraffic(): BaselineEntry[] {
  return ['FIN-WS-042', 'fin-ws-043.corp.example', '10.20.1.44'].flatMap((host) => [
    row(host, { process_path: CHROME, dst_ip: '142.250.74.100', dst_hostname: 'www.google.com', dst_port: 443 }),
    row(host, { process_path: TEAMS, dst_ip: '52.113.194.132', dst_hostname: 'teams.microsoft.com', dst_port: 443 }),
    row(host, { process_path: SVCHOST, dst_ip: '10.20.0.5', dst_port: 135 }),
    row(host, { process_path: SVCHOST, dst_ip: '10.20.0.10', dst_port: 53, protocol: 'udp' }),
    row(host, { process_path: SVCHOST, dst_ip: '93.184.215.14', dst_hostname: 'ctldl.windowsupdate.com', dst_port: 80 }),
    row(host, { process_path: RUNDLL32, dst_ip: '203.0.113.7', dst_port: 443 }),
  ]);
}

function detectorFor(input: DetectionSettingsInput = {}, extra: { now?: () => number; context?: WatchDetectionContext } = {}) {
  const settings = DetectionSettingsSchema.parse({
    networks: { internal: ['10.20.0.0/16'], resolvers: ['10.20.0.10'] },
    ...input,
  });
  const context = extra.context ?? CONTEXT;
  const snapshot = buildBaseline(weekOfTraffic(), HOSTS, settings, {
    blocked: context.blocked,
    window: { from: BASELINE_FROM, to: BLOCKED_AT },
  });
  return createDetector({
    context,
    baseline: compileBaseline(snapshot),
    settings,
    now: extra.now ?? (() => BLOCKED_AT + 60 * 60_000),
  });
}

let nextId = 0;
function connection(fields: {
  host?: ConnectionEvent['device'];
  path?: string;
  name?: string;
  cmd?: string;
  sha1?: string;
  signer?: string;
  ip?: string;
  hostname?: string;
  port?: number;
  protocol?: string;
  outcome?: ConnectionEvent['outcome'];
  direction?: ConnectionEvent['direction'];
  minutesAfterBlock?: number;
}): ConnectionEvent {
  return {
    id: `evt-${nextId++}`,
    source: 'mde-prod',
    time: BLOCKED_AT + (fields.minutesAfterBlock ?? 2) * 60_000,
    device: fields.host ?? { hostname: 'fin-ws-042.corp.example', uid: 'dev-042' },
    process: {
      path: fields.path,
      name: fields.name,
      cmd_line: fields.cmd,
      sha1: fields.sha1,
      signer: fields.signer,
    },
    dst_endpoint: { ip: fields.ip, hostname: fields.hostname, port: fields.port },
    protocol: fields.protocol ?? 'tcp',
    direction: fields.direction ?? 'outbound',
    outcome: fields.outcome ?? 'success',
  };
}

function expectFinding(assessment: Assessment) {
  if (assessment.type !== 'finding') throw new Error(`expected a finding, got ${JSON.stringify(assessment)}`);
  return assessment;
}

describe('fallback C2 after the block', () => {
  it('rundll32.exe without arguments reaching a new bare IP on 8443 two minutes after the block is one high finding, explained', () => {
    const detector = detectorFor();
    const event = connection({ path: RUNDLL32, cmd: 'rundll32.exe', ip: '192.0.2.44', port: 8443, minutesAfterBlock: 2 });

    const { finding, findingId } = expectFinding(detector.assess(event));

    expect(finding.severity).toBe('high');
    expect(finding.score).toBeGreaterThanOrEqual(90);
    expect(finding.kind).toEqual(['quiet_process', 'uncommon_port', 'new_destination']);
    expect(finding.reasons).toEqual([
      'rundll32.exe has made no network connection on FIN-WS-042 in 121 h of telemetry over 7 days',
      'rundll32.exe is a Windows system binary that rarely makes network connections',
      'rundll32.exe ran without command-line arguments, as injected code usually does',
      'port 8443/tcp was seen on 0 of 3 hosts in the baseline',
      '192.0.2.44 is a bare IP (no DNS name) never contacted in the baseline',
    ]);
    expect(finding).toMatchObject({
      id: findingId,
      watch_id: 'w-1',
      host: 'FIN-WS-042',
      process: { name: 'rundll32.exe', path: RUNDLL32, cmd_line: 'rundll32.exe' },
      dst: { ip: '192.0.2.44', port: 8443 },
      protocol: 'tcp',
      connected: true,
    });
  });

  it('the same rundll32 started with a DLL and entry point scores lower and is not called argument-less', () => {
    const detector = detectorFor();
    const bare = expectFinding(detector.assess(connection({ path: RUNDLL32, cmd: 'rundll32.exe', ip: '192.0.2.44', port: 8443 })));
    const withArgs = expectFinding(
      detector.assess(connection({ path: RUNDLL32, cmd: 'rundll32.exe C:\\Users\\bob\\x.dll,Start', ip: '192.0.2.44', port: 8443 })),
    );
    expect(withArgs.finding.score).toBeLessThan(bare.finding.score);
    expect(withArgs.finding.reasons.join('\n')).not.toContain('without command-line arguments');
  });

  it('the implant\'s pre-block traffic to the blocked IP does not make rundll32 look like a known network process', () => {
    const detector = detectorFor();
    const { finding } = expectFinding(detector.assess(connection({ path: RUNDLL32, cmd: 'rundll32.exe', ip: '192.0.2.44', port: 443 })));
    expect(finding.kind).toContain('quiet_process');
  });

  it('a failed or blocked fallback is reported but not counted as connected', () => {
    const detector = detectorFor();
    const event = connection({ path: RUNDLL32, cmd: 'rundll32.exe', ip: '192.0.2.44', port: 8443, outcome: 'failure' });
    expect(expectFinding(detector.assess(event)).finding.connected).toBe(false);
  });

  it('a quiet LOLBin with arguments is still a finding, but below high', () => {
    const detector = detectorFor();
    const event = connection({ path: 'C:\\Windows\\System32\\certutil.exe', cmd: 'certutil -urlcache -f http://x', ip: '142.250.74.100', port: 443 });
    const { finding } = expectFinding(detector.assess(event));
    expect(finding.kind).toEqual(['quiet_process']);
    expect(finding.severity).toBe('medium');
  });
});

describe('retries to a blocked indicator', () => {
  it('a blocked retry to the blocked IP is a high blocked_retry finding saying the block held', () => {
    const detector = detectorFor();
    const event = connection({ path: RUNDLL32, ip: '203.0.113.7', port: 443, outcome: 'blocked' });
    const { finding } = expectFinding(detector.assess(event));
    expect(finding.kind).toEqual(['blocked_retry']);
    expect(finding.severity).toBe('high');
    expect(finding.connected).toBe(false);
    expect(finding.reasons).toEqual([
      'FIN-WS-042 still tries to reach blocked ip 203.0.113.7: the implant is alive',
      'the block held: the connection was blocked',
    ]);
  });

  it('a retry that got through says the block did not hold and is critical', () => {
    const detector = detectorFor();
    const { finding } = expectFinding(detector.assess(connection({ path: RUNDLL32, ip: '203.0.113.7', port: 443, outcome: 'success' })));
    expect(finding.severity).toBe('critical');
    expect(finding.connected).toBe(true);
    expect(finding.reasons).toContain('the connection succeeded: the block did not hold');
  });

  it('a retry whose outcome the source does not report is not claimed to have got through', () => {
    const detector = detectorFor();
    const { finding } = expectFinding(detector.assess(connection({ path: RUNDLL32, ip: '203.0.113.7', port: 443, outcome: 'unknown' })));
    expect(finding.severity).toBe('high');
    expect(finding.connected).toBe(false);
    expect(finding.reasons).toContain('the telemetry does not say whether the block held');
  });

  it('a fallback connection whose outcome is not reported counts as open', () => {
    const detector = detectorFor();
    const { finding } = expectFinding(detector.assess(connection({ path: RUNDLL32, cmd: 'rundll32.exe', ip: '192.0.2.44', port: 8443, outcome: 'unknown' })));
    expect(finding.connected).toBe(true);
  });

  it('no allow-rule, not even one matching it exactly, can suppress a blocked retry', () => {
    const detector = detectorFor({
      allow: [{ id: 'too-broad', reason: 'someone allowed it', process_path: CHROME, dst_cidr: ['203.0.113.0/24'], port: 443 }],
    });
    const event = connection({ path: CHROME, ip: '203.0.113.7', port: 443, outcome: 'failure' });
    expect(expectFinding(detector.assess(event)).finding.kind).toEqual(['blocked_retry']);
    const elsewhere = connection({ path: CHROME, ip: '203.0.113.9', port: 443 });
    expect(detector.assess(elsewhere)).toEqual({ type: 'suppressed', ruleId: 'too-broad' });
  });

  it('an address inside a blocked range and a subdomain of a blocked domain are retries too', () => {
    const detector = detectorFor();
    const inRange = expectFinding(detector.assess(connection({ path: RUNDLL32, ip: '198.51.100.200', port: 80 })));
    expect(inRange.finding.reasons[0]).toContain('blocked cidr 198.51.100.0/24');
    const subdomain = expectFinding(
      detector.assess(connection({ path: CHROME, ip: '192.0.2.80', hostname: 'EU.cdn-update.example.', port: 443 })),
    );
    expect(subdomain.finding.kind).toEqual(['blocked_retry']);
    expect(subdomain.finding.reasons[0]).toContain('blocked domain cdn-update.example');
  });

  it('a name that only ends with the blocked domain\'s text is not a retry', () => {
    const detector = detectorFor();
    const event = connection({ path: CHROME, ip: '142.250.74.100', hostname: 'notcdn-update.example', port: 443 });
    expect(detector.assess(event).type).not.toBe('finding');
  });
});

describe('the usual noise stays quiet', () => {
  it('Windows Update, Defender, the MDE sensor and Chrome on 443 are suppressed by the built-in catalog, each by its rule', () => {
    const detector = detectorFor();
    const cases: Array<[ConnectionEvent, string]> = [
      [connection({ path: SVCHOST, ip: '13.107.4.50', hostname: 'fe2cr.update.microsoft.com', port: 443 }), 'builtin:windows-update'],
      [
        connection({
          path: 'C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0\\MsMpEng.exe',
          ip: '20.10.31.115',
          port: 443,
        }),
        'builtin:defender',
      ],
      [
        connection({ path: 'C:\\Program Files\\Windows Defender Advanced Threat Protection\\MsSense.exe', ip: '20.44.10.122', port: 443 }),
        'builtin:edr-mde',
      ],
      [connection({ path: CHROME, ip: '151.101.1.69', hostname: 'www.reddit.com', port: 443 }), 'builtin:browser-chrome'],
      [connection({ path: CHROME, ip: '151.101.1.69', port: 443, protocol: 'udp' }), 'builtin:browser-chrome-quic'],
    ];
    for (const [event, ruleId] of cases) expect(detector.assess(event)).toEqual({ type: 'suppressed', ruleId });
  });

  it('a copy of chrome.exe in C:\\Users\\Public is not suppressed: the catalog matches paths, not names', () => {
    const detector = detectorFor();
    const event = connection({ path: 'C:\\Users\\Public\\chrome.exe', ip: '192.0.2.44', port: 443 });
    const { finding } = expectFinding(detector.assess(event));
    expect(finding.kind).toEqual(['quiet_process', 'new_destination']);
    expect(finding.reasons).toContain('C:\\Users\\Public\\chrome.exe runs from a user-writable or unusual folder (\\users\\public\\)');
  });

  it('Chrome on a port the catalog does not cover is judged, not suppressed', () => {
    const detector = detectorFor();
    const event = connection({ path: CHROME, ip: '192.0.2.44', port: 8443 });
    expect(expectFinding(detector.assess(event)).finding.kind).toEqual(['uncommon_port', 'new_destination']);
  });

  it('a connection that repeats a baseline tuple exactly is normal', () => {
    const detector = detectorFor({ builtin_catalog: false });
    expect(detector.assess(connection({ path: SVCHOST, ip: '10.20.0.5', port: 135 }))).toEqual({ type: 'normal' });
  });

  it('Teams reaching its usual service on a rotated address is normal', () => {
    const detector = detectorFor({ builtin_catalog: false });
    const event = connection({ path: TEAMS, ip: '52.113.194.200', hostname: 'teams.microsoft.com', port: 443 });
    expect(detector.assess(event)).toEqual({ type: 'normal' });
  });

  it('Chrome visiting a new website on 443 stays below min_score even without the catalog', () => {
    const detector = detectorFor({ builtin_catalog: false });
    const named = connection({ path: CHROME, ip: '151.101.1.69', hostname: 'www.reddit.com', port: 443 });
    const bare = connection({ path: CHROME, ip: '151.101.1.70', port: 443 });
    expect(detector.assess(named)).toEqual({ type: 'normal' });
    expect(detector.assess(bare)).toEqual({ type: 'normal' });
  });

  it('dynamic RPC ports to internal hosts are not uncommon, while the same port to the internet is', () => {
    const detector = detectorFor({ builtin_catalog: false });
    const internalRpc = connection({ path: SVCHOST, ip: '10.20.7.9', port: 49712 });
    expect(detector.assess(internalRpc)).toEqual({ type: 'normal' });
    const external = connection({ path: SVCHOST, ip: '192.0.2.9', port: 49712 });
    expect(expectFinding(detector.assess(external)).finding.kind).toEqual(['uncommon_port', 'new_destination']);
  });

  it('a known-good port from the configuration is never uncommon', () => {
    const detector = detectorFor({ builtin_catalog: false, ports: { known_good: [{ port: '10000-10010', protocol: 'tcp', reason: 'backup agent' }] } });
    expect(detector.assess(connection({ path: SVCHOST, ip: '192.0.2.9', port: 10005 }))).toEqual({ type: 'normal' });
    expect(detector.assess(connection({ path: SVCHOST, ip: '192.0.2.9', port: 10011 })).type).toBe('finding');
  });

  it('nothing is internal unless configured: without networks.internal a private address is judged like any other', () => {
    const detector = detectorFor({ builtin_catalog: false, networks: {} });
    const event = connection({ path: SVCHOST, ip: '10.10.10.5', port: 49712 });
    const { finding } = expectFinding(detector.assess(event));
    expect(finding.reasons).toContain('10.10.10.5 is a bare IP (no DNS name) never contacted in the baseline');
  });
});

describe('events the watch does not judge', () => {
  it('ignores inbound and listening sockets, loopback, link-local and multicast, and other hosts', () => {
    const detector = detectorFor();
    const ignoredEvents = [
      connection({ path: RUNDLL32, ip: '192.0.2.44', port: 8443, direction: 'inbound' }),
      connection({ path: RUNDLL32, ip: '192.0.2.44', port: 8443, direction: 'listen' }),
      connection({ path: RUNDLL32, ip: '127.0.0.1', port: 8443 }),
      connection({ path: RUNDLL32, ip: '::1', port: 8443 }),
      connection({ path: RUNDLL32, ip: '169.254.10.1', port: 8443 }),
      connection({ path: RUNDLL32, ip: 'fe80::1', port: 8443 }),
      connection({ path: RUNDLL32, ip: '224.0.0.252', port: 5355, protocol: 'udp' }),
      connection({ host: { hostname: 'HR-WS-001' }, path: RUNDLL32, ip: '192.0.2.44', port: 8443 }),
    ];
    for (const event of ignoredEvents) expect(detector.assess(event).type).toBe('ignored');
  });

  it('judges the watched host whichever identifier the event carries', () => {
    const detector = detectorFor();
    for (const host of [{ uid: 'DEV-042' }, { hostname: 'FIN-WS-042' }, { ip: '10.20.1.42' }, { ip: '::ffff:10.20.1.42' }]) {
      const event = connection({ host, path: RUNDLL32, cmd: 'rundll32.exe', ip: '192.0.2.44', port: 8443 });
      expect(expectFinding(detector.assess(event)).finding.host).toBe('FIN-WS-042');
    }
  });
});

describe('finding ids', () => {
  it('repeats of one tuple share an id; another port gets another id', () => {
    const detector = detectorFor();
    const first = expectFinding(detector.assess(connection({ path: RUNDLL32, cmd: 'rundll32.exe', ip: '192.0.2.44', port: 8443 })));
    const again = expectFinding(
      detector.assess(connection({ host: { ip: '10.20.1.42' }, path: RUNDLL32.toUpperCase(), ip: '192.0.2.44', port: 8443, minutesAfterBlock: 9 })),
    );
    const otherPort = expectFinding(detector.assess(connection({ path: RUNDLL32, cmd: 'rundll32.exe', ip: '192.0.2.44', port: 8444 })));
    expect(again.findingId).toBe(first.findingId);
    expect(otherPort.findingId).not.toBe(first.findingId);
    expect(first.findingId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('the same tuple in another watch gets another id', () => {
    const event = connection({ path: RUNDLL32, cmd: 'rundll32.exe', ip: '192.0.2.44', port: 8443 });
    const one = expectFinding(detectorFor().assess(event));
    const other = expectFinding(detectorFor({}, { context: { ...CONTEXT, watchId: 'w-2' } }).assess(event));
    expect(other.findingId).not.toBe(one.findingId);
  });
});
