import { hash32, sha1Hex, unitFraction } from '../../src/dev/scenario/stable-hash.js';
import { DAY, HOUR, MINUTE, pick, SECOND, type Flow, type SimDestination, type SimDevice, type SimProcess } from './flow.js';
import { DEFENDER_PLATFORMS, GOOGLE_UPDATER_VERSIONS, IMAGES, userImages, WEBVIEW2_VERSIONS } from './images.js';

/**
 * A deterministic Windows 11 estate: workstations of a company on 10.40.0.0/16 with domain controllers, file and
 * print servers, a Configuration Manager site and a management host, and the internet services its staff use.
 *
 * The traffic follows what the vendors publish about their products, never the detector's suppression catalog
 * (neither read nor imported here, so that a gap in it shows as a false finding):
 * - Active Directory members: DNS, Kerberos, LDAP and SYSVOL to the domain controllers, time from them over NTP
 *   (W32Time's domain hierarchy), LLMNR 5355, mDNS 5353, NetBIOS 137 broadcasts and SSDP 1900 on the LAN.
 * - Windows: NCSI probes of www.msftconnecttest.com over HTTP (no fixed address since 2023), Windows Update and
 *   Delivery Optimization (service on 443, LAN peers on 7680), certificate revocation (CRL/OCSP on 80), connected
 *   user experience telemetry, Windows Push Notification Services, Windows Search's Bing results, SmartScreen.
 * - Microsoft Defender Antivirus cloud protection and Defender for Endpoint; Intune's MDM check-in and management
 *   extension; Configuration Manager's management point (HTTPS) and client notification on 10123.
 * - Microsoft 365 apps: Outlook to Exchange Online, Word and Excel, OneDrive (installed per user), the new Teams
 *   (signalling, its WebView2 UI, media to the transport relays on UDP 3478-3481), Click-to-Run updates.
 * - Edge and, on most hosts, Chrome: web browsing over TCP 443 and QUIC (UDP 443); Chrome keeps its Firebase Cloud
 *   Messaging channel to mtalk.google.com on 5228 and Google Meet reaches STUN on UDP 19302; both browsers' updaters.
 * - On some hosts: Zoom (TCP 443 and 8801, UDP 8801 media), Slack, iCloud for Windows (Apple push on TCP 5223),
 *   GlobalProtect's portal checks, and, on Azure Virtual Desktop session hosts, the Azure VM agent talking to the
 *   platform's fixed address 168.63.129.16 (80 and 32526), the instance metadata service and the AVD broker.
 * - IT staff RDP and WinRM into servers; a management host runs WinRM into every workstation.
 *
 * Hosts reboot weekly on Wednesday night (most of them after Patch Tuesday's cumulative update, inside a window
 * that starts on the Tuesday), users log on between 07:00 and 09:30, and scheduled tasks start a process for each
 * run: services, applications and tasks carry the start time such telemetry has. During the window some hosts
 * also move to the next Defender platform, WebView2 runtime, Google updater or Teams build (a new path), and CDN
 * edges and relays the day uses are partly new.
 */

export const DOMAIN = 'corp.example';
export const INTERNAL = '10.40.0.0/16';
export const DOMAIN_CONTROLLERS = ['10.40.0.10', '10.40.0.11'];
const FILE_SERVER = '10.40.0.20';
const PRINT_SERVER = '10.40.0.30';
const SCCM = { ip: '10.40.0.40', hostname: `sccm01.${DOMAIN}` };
const MANAGEMENT = '10.40.0.60';
const SERVERS = Array.from({ length: 12 }, (_, index) => `10.40.1.${10 + index}`);
const PRINTERS = Array.from({ length: 6 }, (_, index) => `10.40.2.${20 + index}`);
/** The company's GlobalProtect portal, on its own public range. */
const VPN_PORTAL = { ip: '145.40.12.10', hostname: `vpn.${DOMAIN}` };

/** Teams clients on the estate: most on one build, a staged rollout of the next. */
export const TEAMS_VERSIONS = { current: '25017.203.3370.1174', next: '25031.805.3440.5290' } as const;
const SLACK_VERSIONS = { current: '4.41.105', next: '4.42.117' } as const;

const range = (prefix: string, from: number, count: number) => Array.from({ length: count }, (_, index) => `${prefix}.${from + index}`);

/**
 * A service's addresses: a stable pool, and on a share of the days' connections an edge the service has not used
 * before (CDNs and anycast front doors rotate), drawn from its published ranges.
 */
interface Service {
  hostname: string;
  port: number;
  pool: readonly string[];
  /** /24 prefixes new edges come from. */
  edges?: readonly string[];
  /** Share of connections that go to an edge of the day instead of the stable pool. */
  fresh?: number;
}

const service = (hostname: string, port: number, pool: readonly string[], edges?: readonly string[], fresh = 0.1): Service => ({
  hostname,
  port,
  pool,
  ...(edges && { edges, fresh }),
});

const SERVICES = {
  // Exchange Online and SharePoint/OneDrive: the "Optimize" ranges of the Microsoft 365 endpoint list.
  outlook: service('outlook.office365.com', 443, range('52.97.146', 160, 6), ['52.97.147', '40.99.10', '52.98.88']),
  sharepoint: service('corpexample-my.sharepoint.com', 443, range('13.107.136', 8, 4), ['13.107.138']),
  officeApps: service('word-edit.officeapps.live.com', 443, range('52.108.8', 12, 4), ['52.108.9', '52.109.12']),
  // Teams: signalling and media relays in 52.112.0.0/14 (Teams' network requirements), relays UDP 3478-3481.
  teams: service('teams.microsoft.com', 443, range('52.113.194', 128, 8), ['52.113.195', '52.114.128']),
  teamsRelays: service('relay.teams.microsoft.com', 3478, [...range('52.112.36', 10, 60), ...range('52.114.132', 40, 60)], ['52.115.220', '52.112.37'], 0.3),
  // Windows Update, Delivery Optimization and the NCSI probe sit behind CDNs.
  windowsUpdate: service('fe3cr.delivery.mp.microsoft.com', 443, range('20.72.205', 209, 3), ['20.72.206', '52.167.17']),
  wuDownload: service('7.tlu.dl.delivery.mp.microsoft.com', 80, range('13.107.4', 50, 3), ['23.55.110', '152.199.19', '2.19.126']),
  doService: service('geo.prod.do.dsp.mp.microsoft.com', 443, range('20.54.24', 69, 3), ['20.54.25', '40.125.122']),
  ncsi: service('www.msftconnecttest.com', 80, range('23.215.0', 136, 2), ['23.192.228', '2.16.186', '23.55.161'], 0.3),
  authRoot: service('ctldl.windowsupdate.com', 80, range('23.32.238', 200, 3), ['23.43.62', '2.21.18']),
  ocsp: service('ocsp.digicert.com', 80, ['72.21.91.29', '93.184.220.29'], ['192.229.211']),
  oneOcsp: service('oneocsp.microsoft.com', 80, range('23.46.180', 10, 2), ['23.58.213']),
  diagtrack: service('v10.events.data.microsoft.com', 443, range('20.189.173', 1, 4), ['20.189.172', '13.69.239', '52.168.117']),
  wns: service('client.wns.windows.com', 443, range('20.199.120', 151, 4), ['40.113.110', '52.177.166']),
  bing: service('www.bing.com', 443, ['204.79.197.200', '13.107.21.200']),
  smartscreen: service('nav.smartscreen.microsoft.com', 443, range('40.126.28', 19, 3), ['20.190.151', '52.252.14']),
  // Defender: cloud-delivered protection and the Defender for Endpoint service (EU geography).
  defenderCloud: service('wdcp.microsoft.com', 443, range('52.182.141', 60, 4), ['20.42.65', '20.44.10']),
  defenderEndpoint: service('winatp-gw-weu.microsoft.com', 443, range('20.50.201', 195, 3), ['20.50.202']),
  defenderEvents: service('eu-v20.events.data.microsoft.com', 443, range('20.42.73', 24, 2), ['20.42.72']),
  intuneMdm: service('r.manage.microsoft.com', 443, range('52.178.142', 73, 2), ['20.67.13']),
  intuneExtension: service('euprodimedatapri.azureedge.net', 443, range('13.107.246', 60, 2), ['152.199.4']),
  officeCdn: service('officecdn.microsoft.com', 443, range('23.46.181', 10, 3), ['23.62.226', '2.22.60']),
  edgeUpdate: service('msedge.api.cdp.microsoft.com', 443, range('13.107.253', 40, 2), ['150.171.22']),
  webview2Content: service('res.cdn.office.net', 443, range('13.107.237', 40, 2), ['152.199.21']),
  // Google: FCM on mtalk.google.com 5228 (Firebase's network configuration), Meet's STUN on UDP 19302, updates.
  googleUpdate: service('update.googleapis.com', 443, range('142.250.179', 163, 3), ['142.250.180', '172.217.168']),
  fcm: service('mtalk.google.com', 5228, range('142.250.27', 188, 3), ['74.125.133', '173.194.76']),
  meetStun: service('stun.l.google.com', 19302, range('74.125.250', 1, 12), ['74.125.247'], 0.2),
  // Apple push: TCP 5223 into 17.0.0.0/8 (Apple's "If your Apple devices aren't getting push notifications").
  applePush: service('courier.push.apple.com', 5223, range('17.57.144', 20, 8), ['17.57.145', '17.188.180'], 0.3),
  // Zoom (its published firewall rules: TCP 443/8801, UDP 8801-8810) and Slack (behind AWS).
  zoom: service('zoom.us', 443, range('170.114.52', 2, 4), ['170.114.10', '144.195.20']),
  zoomMedia: service('zoomfrn.zoom.us', 8801, range('144.195.34', 10, 6), ['206.247.93', '170.114.45'], 0.3),
  slack: service('edgeapi.slack.com', 443, range('3.120.164', 20, 4), ['3.120.165', '52.29.247']),
  // Azure: the platform address and the instance metadata service never change; the AVD broker sits in Azure.
  avdBroker: service('rdbroker.wvd.microsoft.com', 443, range('40.64.144', 20, 2), ['40.64.145']),
};

/** Web sites: 2,000 of them on CDN and hosting ranges; users mostly visit a few hundred. */
const WEB_PREFIXES = ['151.101', '104.18', '172.67', '13.32', '23.48', '185.199', '99.86', '34.120'];
function website(seed: string): SimDestination {
  const popular = hash32(`${seed}:popular`) % 10 < 8;
  const n = popular ? hash32(`${seed}:site`) % 300 : hash32(`${seed}:site`) % 2_000;
  const prefix = WEB_PREFIXES[n % WEB_PREFIXES.length]!;
  return { ip: `${prefix}.${(n * 7) % 250}.${(n * 13) % 250 + 1}`, port: 443, hostname: `site-${n}.example.org` };
}

/** One address of `svc` for the connection in slot `slot` of the flow `key`, at `time`. */
function addressOf(svc: Service, key: string, slot: number, time: number): SimDestination {
  const day = Math.floor(time / DAY);
  const fresh = svc.edges !== undefined && unitFraction(`${key}:fresh:${slot}`) < (svc.fresh ?? 0);
  const ip = fresh
    ? `${pick(svc.edges!, `${key}:edge:${day}:${slot}`)}.${1 + (hash32(`${svc.hostname}:${day}:${hash32(`${key}:${slot}`) % 4}`) % 254)}`
    : pick(svc.pool, `${key}:${slot}`);
  return { ip, port: svc.port, hostname: svc.hostname };
}

export interface EstateOptions {
  workstations: number;
  /** Start of the day the window covers; updates and reboots happen during it. */
  windowFrom: number;
  windowTo: number;
}

export interface Estate {
  workstations: SimDevice[];
  flows: Flow[];
}

export const ADMIN_WORKSTATIONS = 5;

/** Delivery Optimization shares update content with peers on the same floor (a block of 50 workstations). */
function peerOf(index: number, seed: string): string {
  const floor = Math.floor(index / 50) * 50;
  return workstation(floor + (hash32(seed) % 50)).ip;
}

export function workstation(index: number): SimDevice {
  const hostname = `WS-${String(index + 1).padStart(4, '0')}`;
  const fqdn = `${hostname.toLowerCase()}.${DOMAIN}`;
  return { hostname, fqdn, ip: `10.40.${10 + Math.floor(index / 250)}.${(index % 250) + 1}`, uid: sha1Hex(`device:${fqdn}`) };
}

function userOf(device: SimDevice): string {
  return `CORP\\user${device.hostname.slice(3)}`;
}

/** Days since the epoch of `time`; the epoch was a Thursday, so (day + 4) % 7 is 0 on Sundays. */
const dayOf = (time: number) => Math.floor(time / DAY);
const WEDNESDAY = 3;

/**
 * The host's last boot at or before `time`: maintenance reboots on Wednesday between 02:00 and 04:00, which a
 * host skips in some weeks (nothing to install, or a user's session kept it up).
 */
function lastBoot(device: SimDevice, time: number): number {
  let day = dayOf(time);
  for (let back = 0; back < 60; back += 1, day -= 1) {
    if ((day + 4) % 7 !== WEDNESDAY) continue;
    if (unitFraction(`${device.hostname}:skip-reboot:${day}`) < 0.25) continue;
    const boot = day * DAY + 2 * HOUR + Math.floor(unitFraction(`${device.hostname}:boot:${day}`) * 2 * HOUR);
    if (boot <= time) return boot;
  }
  return dayOf(time) * DAY - 60 * DAY;
}

/** The user's logon on the day of `time`: between 07:00 and 09:30; after a reboot the apps start again then. */
function logon(device: SimDevice, time: number): number {
  const day = dayOf(time);
  return day * DAY + 7 * HOUR + Math.floor(unitFraction(`${device.hostname}:logon:${day}`) * 150 * MINUTE);
}

/** The day's workstation flows of one host. */
export function workstationFlows(device: SimDevice, index: number, options: Pick<EstateOptions, 'windowFrom' | 'windowTo'>): Flow[] {
  const user = userImages(userOf(device));
  const key = (name: string) => `${device.hostname}:${name}`;
  const has = (name: string, share: number) => unitFraction(key(`has:${name}`)) < share;
  const office: readonly [number, number] = [7, 19];
  const span = options.windowTo - options.windowFrom;
  /** A moment in the window when this host moves to the next version of `name`, for a `share` of the hosts. */
  const updateAt = (name: string, share: number) =>
    unitFraction(key(`update:${name}`)) < share ? options.windowFrom + Math.floor(unitFraction(key(`update-at:${name}`)) * span) : undefined;

  const asService = (offsetMs: number) => (time: number) => Math.min(lastBoot(device, time) + offsetMs, time - SECOND);
  const asApp = (offsetMs: number) => (time: number) => Math.min(Math.max(logon(device, time), lastBoot(device, time)) + offsetMs, time - SECOND);
  const asTask = (name: string) => (time: number) => time - (2 + (hash32(`${key(name)}:${time}`) % 20)) * SECOND;

  interface FlowSpec {
    protocol?: string;
    periodMs: number;
    jitter: number;
    chance?: number;
    hours?: readonly [number, number];
    activeFrom?: number;
    activeTo?: number;
    direction?: Flow['direction'];
    destination: (slot: number, time: number) => SimDestination;
    startedAt?: (time: number) => number;
  }
  const flow = (name: string, process: SimProcess, spec: FlowSpec): Flow => {
    const { destination, ...rest } = spec;
    return {
      key: key(name),
      device,
      process,
      protocol: spec.protocol ?? 'tcp',
      ...rest,
      destination: (slot) => destination(slot, slot * spec.periodMs),
    };
  };
  const to = (svc: Service, name: string) => (slot: number, time: number) => addressOf(svc, key(name), slot, time);
  const toPort = (svc: Service, name: string, port: (slot: number) => number) => (slot: number, time: number) => ({
    ...addressOf(svc, key(name), slot, time),
    port: port(slot),
  });
  const fixed = (destination: SimDestination) => () => destination;
  const dc = (name: string, port: number) => (slot: number) => ({ ip: pick(DOMAIN_CONTROLLERS, `${key(name)}:${slot}`), port });
  const web = (name: string) => (slot: number) => website(`${key(name)}:${slot}`);
  const subnetBroadcast = device.ip.replace(/\.\d+$/, '.255');
  /** A process that moves to a new version (a new path) at `at`, when it does in the window. */
  const versioned = (
    name: string,
    at: number | undefined,
    current: SimProcess,
    next: SimProcess,
    spec: FlowSpec,
  ): Flow[] =>
    at === undefined
      ? [flow(name, current, spec)]
      : [flow(`${name}-old`, current, { ...spec, activeTo: at }), flow(`${name}-new`, next, { ...spec, activeFrom: at, startedAt: (time) => Math.max(at, spec.startedAt?.(time) ?? at) })];

  const flows: Flow[] = [
    // Active Directory and the LAN.
    flow('dns', IMAGES.dnscache, { protocol: 'udp', periodMs: 2 * MINUTE, jitter: 1, destination: dc('dns', 53), startedAt: asService(20 * SECOND) }),
    flow('llmnr', IMAGES.dnscache, { protocol: 'udp', periodMs: 30 * MINUTE, jitter: 1, chance: 0.5, destination: fixed({ ip: '224.0.0.252', port: 5355 }), startedAt: asService(20 * SECOND) }),
    flow('mdns', IMAGES.dnscache, { protocol: 'udp', periodMs: 20 * MINUTE, jitter: 1, chance: 0.5, destination: fixed({ ip: '224.0.0.251', port: 5353 }), startedAt: asService(20 * SECOND) }),
    flow('netbios', IMAGES.system, { protocol: 'udp', periodMs: 30 * MINUTE, jitter: 1, chance: 0.3, destination: fixed({ ip: subnetBroadcast, port: 137 }) }),
    flow('ssdp', IMAGES.ssdp, { protocol: 'udp', periodMs: HOUR, jitter: 1, chance: 0.5, destination: fixed({ ip: '239.255.255.250', port: 1900 }), startedAt: asService(40 * SECOND) }),
    flow('kerberos', IMAGES.lsass, { periodMs: 30 * MINUTE, jitter: 1, destination: dc('krb', 88), startedAt: asService(5 * SECOND) }),
    flow('ldap', IMAGES.lsass, { periodMs: 30 * MINUTE, jitter: 1, destination: dc('ldap', 389), startedAt: asService(5 * SECOND) }),
    // Group Policy refreshes every 90 minutes with up to 30 minutes of random offset: LDAP, then SYSVOL over SMB.
    flow('gp-ldap', IMAGES.gpsvc, { periodMs: 90 * MINUTE, jitter: 0.33, destination: dc('gp', 389), startedAt: asService(30 * SECOND) }),
    flow('sysvol', IMAGES.system, { periodMs: 90 * MINUTE, jitter: 0.33, destination: dc('smb', 445) }),
    flow('time', IMAGES.w32time, { protocol: 'udp', periodMs: 2 * HOUR, jitter: 0.5, destination: dc('ntp', 123), startedAt: asService(25 * SECOND) }),
    flow('file-share', IMAGES.system, { periodMs: 20 * MINUTE, jitter: 1, chance: 0.5, hours: office, destination: fixed({ ip: FILE_SERVER, port: 445 }) }),
    flow('print', IMAGES.spoolsv, {
      periodMs: HOUR,
      jitter: 1,
      chance: 0.15,
      hours: office,
      destination: (slot) => (slot % 3 === 0 ? { ip: pick(PRINTERS, key(`printer:${slot}`)), port: 9100 } : { ip: PRINT_SERVER, port: slot % 2 === 0 ? 445 : 135 }),
      startedAt: asService(15 * SECOND),
    }),
    flow('winrm-in', IMAGES.winrm, { periodMs: 6 * HOUR, jitter: 1, chance: 0.5, direction: 'inbound', destination: fixed({ ip: MANAGEMENT, port: 5985 }), startedAt: asService(30 * SECOND) }),
    // Windows itself.
    flow('ncsi', IMAGES.nlasvc, { periodMs: 4 * HOUR, jitter: 1, destination: to(SERVICES.ncsi, 'ncsi'), startedAt: asService(20 * SECOND) }),
    flow('windows-update', IMAGES.wuauserv, { periodMs: HOUR, jitter: 1, destination: to(SERVICES.windowsUpdate, 'wu'), startedAt: asService(60 * SECOND) }),
    flow('do-service', IMAGES.doSvc, { periodMs: HOUR, jitter: 1, chance: 0.5, destination: to(SERVICES.doService, 'do'), startedAt: asService(60 * SECOND) }),
    flow('do-peers', IMAGES.doSvc, {
      periodMs: 30 * MINUTE,
      jitter: 1,
      chance: 0.2,
      destination: (slot) => ({ ip: peerOf(index, `${key('do-peer')}:${slot}`), port: 7680 }),
      startedAt: asService(60 * SECOND),
    }),
    flow('auth-root', IMAGES.cryptsvc, { periodMs: 6 * HOUR, jitter: 1, destination: to(SERVICES.authRoot, 'authroot'), startedAt: asService(20 * SECOND) }),
    flow('ocsp', IMAGES.cryptsvc, {
      periodMs: 30 * MINUTE,
      jitter: 1,
      chance: 0.3,
      destination: (slot, time) => (slot % 2 === 0 ? addressOf(SERVICES.ocsp, key('ocsp'), slot, time) : addressOf(SERVICES.oneOcsp, key('oneocsp'), slot, time)),
      startedAt: asService(20 * SECOND),
    }),
    flow('telemetry', IMAGES.diagtrack, { periodMs: 30 * MINUTE, jitter: 0.5, destination: to(SERVICES.diagtrack, 'utc'), startedAt: asService(90 * SECOND) }),
    flow('push', IMAGES.wpnService, { periodMs: HOUR, jitter: 1, chance: 0.7, destination: to(SERVICES.wns, 'wns'), startedAt: asService(45 * SECOND) }),
    flow('search', user.searchHost, { periodMs: 30 * MINUTE, jitter: 1, chance: 0.4, hours: office, destination: to(SERVICES.bing, 'bing'), startedAt: asApp(20 * SECOND) }),
    flow('smartscreen', user.smartscreen, { periodMs: 20 * MINUTE, jitter: 1, chance: 0.3, hours: office, destination: to(SERVICES.smartscreen, 'ss'), startedAt: asTask('ss') }),
    // Security and management agents.
    ...versioned('defender', updateAt('defender', 0.3), IMAGES.defender(DEFENDER_PLATFORMS.current), IMAGES.defender(DEFENDER_PLATFORMS.next), {
      periodMs: 15 * MINUTE,
      jitter: 0.2,
      chance: 0.5,
      destination: to(SERVICES.defenderCloud, 'wdcp'),
      startedAt: asService(10 * SECOND),
    }),
    ...versioned('defender-core', updateAt('defender', 0.3), IMAGES.defenderCore(DEFENDER_PLATFORMS.current), IMAGES.defenderCore(DEFENDER_PLATFORMS.next), {
      periodMs: HOUR,
      jitter: 0.5,
      destination: to(SERVICES.defenderEvents, 'mpcore'),
      startedAt: asService(10 * SECOND),
    }),
    flow('mde', IMAGES.sense, { periodMs: 5 * MINUTE, jitter: 0.1, destination: to(SERVICES.defenderEndpoint, 'mde'), startedAt: asService(15 * SECOND) }),
    flow('mde-ndr', IMAGES.senseNdr, { periodMs: HOUR, jitter: 0.3, destination: to(SERVICES.defenderEndpoint, 'ndr'), startedAt: asService(40 * SECOND) }),
    flow('intune-mdm', IMAGES.omadmclient, { periodMs: 8 * HOUR, jitter: 0.2, destination: to(SERVICES.intuneMdm, 'mdm'), startedAt: asTask('mdm') }),
    flow('intune-extension', IMAGES.intuneAgent, { periodMs: HOUR, jitter: 0.3, destination: to(SERVICES.intuneExtension, 'ime'), startedAt: asService(50 * SECOND) }),
    flow('sccm', IMAGES.ccmexec, { periodMs: HOUR, jitter: 0.2, destination: fixed({ ...SCCM, port: 443 }), startedAt: asService(35 * SECOND) }),
    flow('sccm-notify', IMAGES.ccmexec, { periodMs: 15 * MINUTE, jitter: 0.1, destination: fixed({ ip: SCCM.ip, port: 10123 }), startedAt: asService(35 * SECOND) }),
    flow('edge-update', IMAGES.edgeUpdate, { periodMs: 5 * HOUR, jitter: 0.2, destination: to(SERVICES.edgeUpdate, 'edgeupd'), startedAt: asTask('edgeupd') }),
    flow('office-cdn', IMAGES.clickToRun, { periodMs: 4 * HOUR, jitter: 0.2, destination: to(SERVICES.officeCdn, 'c2r'), startedAt: asService(30 * SECOND) }),
    // Patch Tuesday: the update orchestrator downloads the cumulative update during the window.
    flow('cumulative-update', IMAGES.mousoCoreWorker, {
      periodMs: 20 * MINUTE,
      jitter: 1,
      chance: 0.15,
      hours: [10, 18],
      activeFrom: options.windowFrom,
      destination: to(SERVICES.wuDownload, 'lcu'),
      startedAt: asTask('lcu'),
    }),
    // Microsoft 365 and the browsers, while the user works.
    flow('edge', user.edge, { periodMs: 5 * MINUTE, jitter: 1, chance: 0.3, hours: office, destination: web('edge'), startedAt: asApp(3 * MINUTE) }),
    flow('edge-quic', user.edge, { protocol: 'udp', periodMs: 15 * MINUTE, jitter: 1, chance: 0.3, hours: office, destination: web('edge-quic'), startedAt: asApp(3 * MINUTE) }),
    flow('outlook', user.outlook, { periodMs: 5 * MINUTE, jitter: 0.2, hours: office, destination: to(SERVICES.outlook, 'outlook'), startedAt: asApp(MINUTE) }),
    flow('word', user.word, { periodMs: 30 * MINUTE, jitter: 1, chance: 0.3, hours: office, destination: to(SERVICES.officeApps, 'word'), startedAt: asTask('word') }),
    flow('excel', user.excel, { periodMs: 30 * MINUTE, jitter: 1, chance: 0.3, hours: office, destination: to(SERVICES.officeApps, 'excel'), startedAt: asTask('excel') }),
    flow('onedrive', user.onedrive, { periodMs: 10 * MINUTE, jitter: 0.3, hours: office, destination: to(SERVICES.sharepoint, 'onedrive'), startedAt: asApp(30 * SECOND) }),
    ...teamsFlows(device, user, options, key, office, asApp(40 * SECOND), updateAt),
  ];

  if (has('chrome', 0.6)) {
    flows.push(
      flow('chrome', user.chrome, { periodMs: 2 * MINUTE, jitter: 1, chance: 0.6, hours: office, destination: web('chrome'), startedAt: asApp(2 * MINUTE) }),
      flow('chrome-quic', user.chrome, { protocol: 'udp', periodMs: 10 * MINUTE, jitter: 1, chance: 0.5, hours: office, destination: web('quic'), startedAt: asApp(2 * MINUTE) }),
      flow('chrome-fcm', user.chrome, { periodMs: 30 * MINUTE, jitter: 0.5, hours: office, destination: to(SERVICES.fcm, 'fcm'), startedAt: asApp(2 * MINUTE) }),
      ...versioned('google-update', updateAt('google-updater', 0.2), IMAGES.googleUpdater(GOOGLE_UPDATER_VERSIONS.current), IMAGES.googleUpdater(GOOGLE_UPDATER_VERSIONS.next), {
        periodMs: 5 * HOUR,
        jitter: 0.2,
        destination: to(SERVICES.googleUpdate, 'gupdate'),
        startedAt: asTask('gupdate'),
      }),
    );
    if (has('meet', 0.15)) {
      flows.push(flow('meet-stun', user.chrome, { protocol: 'udp', periodMs: HOUR, jitter: 1, chance: 0.3, hours: office, destination: to(SERVICES.meetStun, 'stun'), startedAt: asApp(2 * MINUTE) }));
    }
  }
  if (has('zoom', 0.15)) {
    flows.push(
      flow('zoom', user.zoom, { periodMs: 30 * MINUTE, jitter: 0.5, hours: office, destination: to(SERVICES.zoom, 'zoom'), startedAt: asApp(90 * SECOND) }),
      flow('zoom-media', user.zoom, {
        protocol: 'udp',
        periodMs: HOUR,
        jitter: 1,
        chance: 0.3,
        hours: office,
        destination: toPort(SERVICES.zoomMedia, 'zoom-media', (slot) => 8801 + (hash32(key(`zoom-port:${slot}`)) % 10)),
        startedAt: asApp(90 * SECOND),
      }),
      flow('zoom-control', user.zoom, { periodMs: HOUR, jitter: 1, chance: 0.3, hours: office, destination: toPort(SERVICES.zoomMedia, 'zoom-ctl', () => 8801), startedAt: asApp(90 * SECOND) }),
    );
  }
  if (has('slack', 0.2)) {
    flows.push(
      ...versioned('slack', updateAt('slack', 0.25), user.slack(SLACK_VERSIONS.current), user.slack(SLACK_VERSIONS.next), {
        periodMs: 10 * MINUTE,
        jitter: 0.5,
        hours: office,
        destination: to(SERVICES.slack, 'slack'),
        startedAt: asApp(45 * SECOND),
      }),
    );
  }
  if (has('icloud', 0.1)) {
    flows.push(flow('apple-push', user.applePush, { periodMs: 30 * MINUTE, jitter: 0.5, hours: office, destination: to(SERVICES.applePush, 'apns'), startedAt: asApp(MINUTE) }));
  }
  if (has('globalprotect', 0.3)) {
    flows.push(flow('vpn-portal', IMAGES.globalProtect, { periodMs: HOUR, jitter: 0.3, destination: fixed({ ...VPN_PORTAL, port: 443 }), startedAt: asService(20 * SECOND) }));
  }
  if (has('avd', 0.1)) {
    // An Azure Virtual Desktop session host: the VM agent polls the WireServer every 15 s and its HostGAPlugin on 32526.
    flows.push(
      flow('azure-guest-agent', IMAGES.azureGuestAgent, { periodMs: 15 * SECOND, jitter: 0.2, destination: fixed({ ip: '168.63.129.16', port: 80 }), startedAt: asService(30 * SECOND) }),
      flow('azure-app-agent', IMAGES.azureAppAgent, { periodMs: 40 * SECOND, jitter: 0.3, destination: fixed({ ip: '168.63.129.16', port: 80 }), startedAt: asService(25 * SECOND) }),
      flow('azure-hostga', IMAGES.azureAppAgent, { periodMs: 5 * MINUTE, jitter: 0.3, destination: fixed({ ip: '168.63.129.16', port: 32526 }), startedAt: asService(25 * SECOND) }),
      flow('azure-imds', IMAGES.azureGuestAgent, { periodMs: 5 * MINUTE, jitter: 0.5, destination: fixed({ ip: '169.254.169.254', port: 80 }), startedAt: asService(30 * SECOND) }),
      flow('avd-broker', IMAGES.rdAgentBootLoader, { periodMs: MINUTE, jitter: 0.3, destination: to(SERVICES.avdBroker, 'avd'), startedAt: asService(35 * SECOND) }),
    );
  }
  if (index < ADMIN_WORKSTATIONS) {
    const server = (name: string, port: number) => (slot: number) => ({ ip: pick(SERVERS, `${key(name)}:${slot}`), port });
    flows.push(
      flow('rdp', user.mstsc, { periodMs: HOUR, jitter: 1, chance: 0.3, hours: office, destination: server('rdp', 3389), startedAt: asTask('rdp') }),
      flow('winrm-out', user.powershell, { periodMs: HOUR, jitter: 1, chance: 0.25, hours: office, destination: server('winrm', 5985), startedAt: asTask('winrm') }),
    );
  }
  return flows;
}

/**
 * The new Teams: signalling from ms-teams.exe, its UI content through the WebView2 runtime, media to the transport
 * relays. One host in ten already runs the next build in the baseline; during the window one host in thirty updates
 * to it, mid-day, so its client path changes; a quarter of the hosts get the next WebView2 runtime.
 */
function teamsFlows(
  device: SimDevice,
  user: ReturnType<typeof userImages>,
  options: Pick<EstateOptions, 'windowFrom' | 'windowTo'>,
  key: (name: string) => string,
  office: readonly [number, number],
  startedAt: (time: number) => number,
  updateAt: (name: string, share: number) => number | undefined,
): Flow[] {
  const roll = unitFraction(key('teams-build'));
  const updates = roll >= 0.1 && roll < 0.1 + 1 / 30;
  const span = options.windowTo - options.windowFrom;
  const teamsAt = updates ? options.windowFrom + Math.floor(unitFraction(key('teams-at')) * span) : undefined;
  const builds: { version: string; from?: number; to?: number }[] =
    roll < 0.1
      ? [{ version: TEAMS_VERSIONS.next }]
      : teamsAt === undefined
        ? [{ version: TEAMS_VERSIONS.current }]
        : [{ version: TEAMS_VERSIONS.current, to: teamsAt }, { version: TEAMS_VERSIONS.next, from: teamsAt }];
  const webviewAt = updateAt('webview2', 0.25);
  const webviews: { version: string; from?: number; to?: number }[] =
    webviewAt === undefined ? [{ version: WEBVIEW2_VERSIONS.current }] : [{ version: WEBVIEW2_VERSIONS.current, to: webviewAt }, { version: WEBVIEW2_VERSIONS.next, from: webviewAt }];
  const windowOf = ({ from, to }: { from?: number; to?: number }) => ({ ...(from !== undefined && { activeFrom: from }), ...(to !== undefined && { activeTo: to }) });
  const startAfter = (from: number | undefined) => (from === undefined ? startedAt : (time: number) => Math.max(from, startedAt(time)));
  const base = (name: string, process: SimProcess, window: { from?: number; to?: number }) => ({
    key: key(name),
    device,
    process,
    hours: office,
    ...windowOf(window),
    startedAt: startAfter(window.from),
  });
  return [
    ...builds.flatMap((build) => {
      const process = user.teams(build.version);
      return [
        {
          ...base(`teams-${build.version}`, process, build),
          protocol: 'tcp',
          periodMs: 5 * MINUTE,
          jitter: 0.2,
          destination: (slot: number) => addressOf(SERVICES.teams, key('teams'), slot, slot * 5 * MINUTE),
        },
        {
          ...base(`teams-media-${build.version}`, process, build),
          protocol: 'udp',
          periodMs: 10 * MINUTE,
          jitter: 1,
          chance: 0.25,
          destination: (slot: number) => ({
            ...addressOf(SERVICES.teamsRelays, key('relay'), slot, slot * 10 * MINUTE),
            port: 3478 + (hash32(`${key('relay-port')}:${slot}`) % 4),
          }),
        },
      ];
    }),
    ...webviews.map((webview) => ({
      ...base(`teams-webview-${webview.version}`, user.webview2(webview.version), webview),
      protocol: 'tcp',
      periodMs: 15 * MINUTE,
      jitter: 1,
      chance: 0.5,
      destination: (slot: number) => addressOf(SERVICES.webview2Content, key('webview'), slot, slot * 15 * MINUTE),
    })),
  ];
}

export function createEstate(options: EstateOptions): Estate {
  const workstations = Array.from({ length: options.workstations }, (_, index) => workstation(index));
  return { workstations, flows: workstations.flatMap((device, index) => workstationFlows(device, index, options)) };
}
