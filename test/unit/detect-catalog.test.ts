import { describe, expect, it } from 'vitest';
import type { ConnectionEvent } from '../../src/contracts/connection-event.js';
import type { WatchedHost } from '../../src/contracts/watch.js';
import { buildBaseline, compileBaseline } from '../../src/detect/baseline.js';
import { BUILTIN_ALLOW_RULES } from '../../src/detect/catalog.js';
import { createDetector } from '../../src/detect/detector.js';
import { lolbinInfo } from '../../src/detect/lolbins.js';
import { basename } from '../../src/lib/process-identity.js';
import { DetectionSettingsSchema } from '../../src/detect/settings.js';

const BLOCKED_AT = Date.parse('2026-11-27T10:00:00Z');
const HOST: WatchedHost = { hostname: 'FIN-WS-042', ip: '10.20.1.42', baseline: 'ready' };
const settings = DetectionSettingsSchema.parse({ networks: { internal: ['10.20.0.0/16'], resolvers: ['10.20.0.10'] } });
const detector = createDetector({
  context: { watchId: 'w-cat', incidentId: 'INC-5', blocked: [{ type: 'ip', value: '203.0.113.7' }], hosts: [HOST] },
  baseline: compileBaseline(buildBaseline([], [HOST], settings)),
  settings,
  now: () => BLOCKED_AT,
});

let next = 0;
const event = (path: string, dst: { ip: string; port: number; hostname?: string }, protocol = 'tcp'): ConnectionEvent => ({
  id: `c-${next++}`,
  source: 'mde-prod',
  time: BLOCKED_AT + 60_000,
  device: { hostname: 'FIN-WS-042' },
  process: { path },
  dst_endpoint: dst,
  protocol,
  direction: 'outbound',
  outcome: 'success',
});

const PUBLIC = { ip: '52.112.36.12', port: 443 };

describe('the built-in catalog keeps the usual estate quiet, each product by its own rule', () => {
  const cases: Array<[string, string, ConnectionEvent]> = [
    ['new Teams', 'builtin:teams', event('C:\\Program Files\\WindowsApps\\MSTeams_24295.605.3225.8804_x64__8wekyb3d8bbwe\\ms-teams.exe', PUBLIC)],
    ['classic Teams in a profile', 'builtin:teams', event('C:\\Users\\alice\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe', PUBLIC)],
    ['a Teams call', 'builtin:teams-media', event('C:\\Users\\alice\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe', { ip: '52.112.36.12', port: 3478 }, 'udp')],
    ['Teams pages in WebView2', 'builtin:browser-edge-webview2', event('C:\\Program Files (x86)\\Microsoft\\EdgeWebView\\Application\\131.0.2903.70\\msedgewebview2.exe', PUBLIC)],
    ['Zoom', 'builtin:zoom', event('C:\\Users\\bob\\AppData\\Roaming\\Zoom\\bin\\Zoom.exe', { ip: '170.114.10.1', port: 8801 })],
    ['a Zoom meeting', 'builtin:zoom-media', event('C:\\Program Files\\Zoom\\bin\\Zoom.exe', { ip: '170.114.10.1', port: 8805 }, 'udp')],
    ['OneDrive', 'builtin:onedrive', event('C:\\Users\\bob\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe', PUBLIC)],
    ['the SCCM client', 'builtin:sccm-client', event('C:\\Windows\\CCM\\CcmExec.exe', { ip: '10.20.0.70', port: 10123 })],
    ['an admin on RDP', 'builtin:rdp-mstsc', event('C:\\Windows\\System32\\mstsc.exe', { ip: '10.20.5.5', port: 3389 })],
    ['RDCMan', 'builtin:rdp-managers', event('C:\\Program Files (x86)\\Microsoft\\Remote Desktop Connection Manager\\RDCMan.exe', { ip: '10.20.5.5', port: 3389 })],
    ['mRemoteNG', 'builtin:rdp-managers', event('C:\\Program Files\\mRemoteNG\\mRemoteNG.exe', { ip: '10.20.5.5', port: 3389 })],
    ['Remote Desktop Manager', 'builtin:rdp-managers', event('C:\\Program Files\\Devolutions\\Remote Desktop Manager\\RemoteDesktopManager64.exe', { ip: '10.20.5.5', port: 3389 }, 'udp')],
    ['CryptSvc checking a CRL', 'builtin:crl-ocsp', event('C:\\Windows\\System32\\svchost.exe', { ip: '93.184.220.29', port: 80, hostname: 'crl3.digicert.com' })],
    ['certutil asking an OCSP responder', 'builtin:certutil-crl-ocsp', event('C:\\Windows\\System32\\certutil.exe', { ip: '93.184.220.29', port: 80, hostname: 'ocsp.digicert.com' })],
    ['a DC resolving via the roots', 'builtin:dns-server', event('C:\\Windows\\System32\\dns.exe', { ip: '198.41.0.4', port: 53 }, 'udp')],
    ['the CrowdStrike sensor', 'builtin:edr-crowdstrike', event('C:\\Program Files\\CrowdStrike\\CSFalconContainer.exe', { ip: '52.1.1.1', port: 443 })],
    ['an Elastic Agent beat', 'builtin:edr-elastic', event('C:\\Program Files\\Elastic\\Agent\\data\\elastic-agent-8.15.0-abc123\\components\\filebeat.exe', { ip: '52.1.1.2', port: 9200 })],
  ];
  for (const [what, ruleId, connection] of cases) {
    it(`${what} is suppressed by ${ruleId}`, () => {
      expect(detector.assess(connection)).toEqual({ type: 'suppressed', ruleId });
    });
  }
});

describe('the catalog never hides what it should not', () => {
  it('certutil is a LOLBin: to any host but the CAs, or on another port, it is judged and reported', () => {
    const download = detector.assess(event('C:\\Windows\\System32\\certutil.exe', { ip: '185.199.108.133', port: 443, hostname: 'raw.githubusercontent.com' }));
    expect(download.type).toBe('finding');
    const oddPort = detector.assess(event('C:\\Windows\\System32\\certutil.exe', { ip: '93.184.220.29', port: 8080, hostname: 'ocsp.digicert.com' }));
    expect(oddPort.type).not.toBe('suppressed');
  });

  it('products are allowed on their own ports only, and a copy of one elsewhere is not the product', () => {
    const teams = 'C:\\Program Files\\WindowsApps\\MSTeams_24295.605.3225.8804_x64__8wekyb3d8bbwe\\ms-teams.exe';
    expect(detector.assess(event(teams, { ip: '192.0.2.44', port: 8443 })).type).not.toBe('suppressed');
    expect(detector.assess(event('C:\\Windows\\System32\\mstsc.exe', { ip: '192.0.2.44', port: 4444 })).type).not.toBe('suppressed');
    expect(detector.assess(event('C:\\Users\\Public\\Teams.exe', PUBLIC)).type).toBe('finding');
    expect(detector.assess(event('C:\\Windows\\Temp\\CcmExec.exe', { ip: '10.20.0.70', port: 10123 })).type).not.toBe('suppressed');
  });

  it('no entry covers a LOLBin unless it also pins the destinations, and none relies on a signer', () => {
    for (const rule of BUILTIN_ALLOW_RULES) {
      expect(rule.signer).toBeUndefined();
      const paths = Array.isArray(rule.process_path) ? rule.process_path : [rule.process_path ?? ''];
      const coversLolbin = paths.some((path) => lolbinInfo(basename(path).toLowerCase()) !== undefined);
      if (coversLolbin) expect(rule.dst_domain ?? rule.dst_cidr).toBeDefined();
    }
  });

  it('rule ids are stable and unique: suppression counts are kept per id', () => {
    const ids = BUILTIN_ALLOW_RULES.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(
      expect.arrayContaining([
        'builtin:windows-update',
        'builtin:defender',
        'builtin:edr-mde',
        'builtin:edr-crowdstrike',
        'builtin:edr-sentinelone',
        'builtin:edr-elastic',
        'builtin:splunk-forwarder',
        'builtin:browser-chrome',
        'builtin:browser-chrome-quic',
        'builtin:browser-edge',
        'builtin:browser-firefox',
        'builtin:crl-ocsp',
        'builtin:certutil-crl-ocsp',
        'builtin:dns-server',
        'builtin:sccm-client',
        'builtin:teams',
        'builtin:teams-media',
        'builtin:zoom',
        'builtin:zoom-media',
        'builtin:onedrive',
        'builtin:rdp-mstsc',
        'builtin:rdp-managers',
      ]),
    );
  });

  it('every entry names the vendor or standard documentation it rests on', () => {
    for (const rule of BUILTIN_ALLOW_RULES) expect(rule.source, rule.id).toMatch(/^https:\/\/[a-z0-9.-]+\.[a-z]{2,}\//);
  });
});

describe('platform services with vendor-documented addresses and ports', () => {
  const sensorEvent = (dst: { ip: string; port: number; hostname?: string }, protocol = 'tcp'): ConnectionEvent => ({
    id: `p-${next++}`,
    source: 'zeek',
    time: BLOCKED_AT + 60_000,
    device: { ip: '10.20.1.42' },
    dst_endpoint: dst,
    protocol,
    direction: 'outbound',
    outcome: 'success',
  });
  const assess = (event: ConnectionEvent) => detector.assess(event);

  it('the Azure VM agent talking to the fixed platform address 168.63.129.16 is allowed on its documented ports only', () => {
    const agent = 'C:\\WindowsAzure\\GuestAgent_2.7.41491.1102\\WindowsAzureGuestAgent.exe';
    expect(assess(event(agent, { ip: '168.63.129.16', port: 32526 }))).toEqual({ type: 'suppressed', ruleId: 'builtin:azure-wireserver' });
    expect(assess(sensorEvent({ ip: '168.63.129.16', port: 80 }))).toEqual({ type: 'suppressed', ruleId: 'builtin:azure-wireserver' });
    expect(assess(sensorEvent({ ip: '168.63.129.16', port: 4444 })).type).not.toBe('suppressed');
  });

  it('Windows time sync from svchost is allowed; NTP from a LOLBin or a dropped binary is not', () => {
    expect(assess(event('C:\\Windows\\System32\\svchost.exe', { ip: '40.119.6.228', port: 123 }, 'udp'))).toEqual({
      type: 'suppressed',
      ruleId: 'builtin:windows-time',
    });
    expect(assess(event('C:\\Windows\\System32\\rundll32.exe', { ip: '40.119.6.228', port: 123 }, 'udp')).type).not.toBe('suppressed');
  });

  it('push and STUN services inside their vendors\' published ranges are allowed; the same ports elsewhere are judged', () => {
    expect(assess(sensorEvent({ ip: '17.57.146.20', port: 5223 }))).toEqual({ type: 'suppressed', ruleId: 'builtin:apple-push' });
    expect(assess(sensorEvent({ ip: '74.125.250.129', port: 19305 }, 'udp'))).toEqual({ type: 'suppressed', ruleId: 'builtin:google-meet-media' });
    expect(assess(sensorEvent({ ip: '142.250.27.188', port: 5228, hostname: 'alt3-mtalk.google.com' }))).toEqual({
      type: 'suppressed',
      ruleId: 'builtin:google-fcm',
    });
    expect(assess(sensorEvent({ ip: '198.51.100.17', port: 5223 })).type).not.toBe('suppressed');
  });
});
