import { hash32, sha1Hex, unitFraction } from '../../src/simulator/scenario/stable-hash.js';
import { DAY, HOUR, MINUTE, pick, type Flow, type SimDestination, type SimDevice, type SimProcess } from './flow.js';
import { IMAGES, userImages } from './images.js';

/**
 * A deterministic Windows estate: workstations of a company on 10.40.0.0/16 with domain controllers, file, print,
 * SCCM and backup servers, and the SaaS its staff use. Each workstation makes the traffic of an ordinary day:
 * domain (DNS, Kerberos, LDAP, SMB), security agents, Windows Update, CRL/OCSP, SCCM, nightly backups, browsers,
 * Outlook, OneDrive, Teams (signalling and media relays), printing; IT staff also RDP and WinRM into servers.
 */

export const DOMAIN = 'corp.example';
export const INTERNAL = '10.40.0.0/16';
export const DOMAIN_CONTROLLERS = ['10.40.0.10', '10.40.0.11'];
const FILE_SERVER = '10.40.0.20';
const PRINT_SERVER = '10.40.0.30';
const SCCM = { ip: '10.40.0.40', hostname: `sccm01.${DOMAIN}` };
const BACKUP = '10.40.0.50';
const MANAGEMENT = '10.40.0.60';
const SERVERS = Array.from({ length: 12 }, (_, index) => `10.40.1.${10 + index}`);

/** Teams clients on the estate: most on one build, a staged rollout of the next. */
export const TEAMS_VERSIONS = { current: '24295.605.3225.8804', next: '25017.203.3370.1174' } as const;

const named = (hostname: string, ips: readonly string[], port: number) => ips.map((ip): SimDestination => ({ ip, port, hostname }));
const range = (prefix: string, from: number, count: number) => Array.from({ length: count }, (_, index) => `${prefix}.${from + index}`);

const SAAS = {
  teams: named('teams.microsoft.com', range('52.113.194', 128, 8), 443),
  /** Media relays rotate through a wide pool: a new relay address in the window is ordinary. */
  teamsRelays: [...range('52.112.36', 10, 100), ...range('52.114.132', 40, 100), ...range('52.115.220', 70, 100)],
  outlook: named('outlook.office365.com', range('52.97.146', 160, 6), 443),
  onedrive: named('corpexample-my.sharepoint.com', range('13.107.136', 8, 4), 443),
  windowsUpdate: [
    ...named('fe3cr.delivery.mp.microsoft.com', range('20.72.205', 209, 3), 443),
    ...named('7.tlu.dl.delivery.mp.microsoft.com', range('13.107.4', 50, 3), 443),
    ...named('ctldl.windowsupdate.com', range('23.55.110', 17, 2), 80),
  ],
  /** Edges that serve the monthly cumulative update: some are new on the day it ships. */
  patchTuesday: [
    ...named('7.tlu.dl.delivery.mp.microsoft.com', range('13.107.4', 50, 3), 443),
    ...named('2.tlu.dl.delivery.mp.microsoft.com', range('152.199.19', 160, 6), 443),
    ...named('download.windowsupdate.com', range('23.216.81', 150, 6), 80),
  ],
  defender: named('wdcp.microsoft.com', range('52.182.141', 60, 4), 443),
  mde: named('winatp-gw-weu.microsoft.com', range('20.50.201', 195, 3), 443),
  pki: [
    ...named('crl.microsoft.com', range('23.32.238', 200, 3), 80),
    ...named('ocsp.digicert.com', range('93.184.220', 29, 3), 80),
  ],
  googleUpdate: named('update.googleapis.com', range('142.250.179', 163, 3), 443),
  officeCdn: named('officecdn.microsoft.com', range('23.46.180', 10, 3), 443),
};

/** 2,000 web sites; users mostly visit a few hundred of them. */
function website(seed: string): SimDestination {
  const popular = hash32(`${seed}:popular`) % 10 < 8;
  const n = popular ? hash32(`${seed}:site`) % 300 : hash32(`${seed}:site`) % 2_000;
  return { ip: `151.101.${n % 250}.${(n * 7) % 250 + 1}`, port: 443, hostname: `site-${n}.example.org` };
}

export interface EstateOptions {
  workstations: number;
  /** Start of the day the window covers; Teams updates happen during it. */
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

/** The day's flows of one workstation. */
export function workstationFlows(device: SimDevice, index: number, options: Pick<EstateOptions, 'windowFrom' | 'windowTo'>): Flow[] {
  const user = userImages(userOf(device));
  const key = (name: string) => `${device.hostname}:${name}`;
  const flow = (name: string, process: SimProcess, rest: Omit<Flow, 'key' | 'device' | 'process'>): Flow => ({
    key: key(name),
    device,
    process,
    ...rest,
  });
  const from = (list: readonly SimDestination[], name: string) => (slot: number) => pick(list, `${key(name)}:${slot}`);
  const fixed = (destination: SimDestination) => () => destination;
  const dc = (name: string, port: number) => (slot: number) => ({ ip: pick(DOMAIN_CONTROLLERS, `${key(name)}:${slot}`), port });
  const web = (name: string) => (slot: number) => website(`${key(name)}:${slot}`);
  const peer = (slot: number) => ({ ip: peerOf(index, `${key('do')}:${slot}`), port: 7680 });
  const printer = (slot: number) => ({ ip: PRINT_SERVER, port: slot % 2 === 0 ? 445 : 135 });
  const office: readonly [number, number] = [7, 19];
  const tcp = (periodMs: number, jitter: number, rest: Omit<Flow, 'key' | 'device' | 'process' | 'protocol' | 'periodMs' | 'jitter'>) => ({
    protocol: 'tcp',
    periodMs,
    jitter,
    ...rest,
  });

  const flows: Flow[] = [
    flow('dns', IMAGES.dnscache, { protocol: 'udp', periodMs: 2 * MINUTE, jitter: 1, destination: dc('dns', 53) }),
    flow('kerberos', IMAGES.lsass, tcp(30 * MINUTE, 1, { destination: dc('krb', 88) })),
    flow('ldap', IMAGES.lsass, tcp(30 * MINUTE, 1, { destination: dc('ldap', 389) })),
    // Group Policy refreshes every 90 minutes with up to 30 minutes of random offset.
    flow('sysvol', IMAGES.system, tcp(90 * MINUTE, 0.33, { destination: dc('smb', 445) })),
    flow('file-share', IMAGES.system, tcp(20 * MINUTE, 1, { chance: 0.5, hours: office, destination: fixed({ ip: FILE_SERVER, port: 445 }) })),
    flow('defender', IMAGES.defender, tcp(15 * MINUTE, 0.2, { destination: from(SAAS.defender, 'defender') })),
    flow('mde', IMAGES.sense, tcp(5 * MINUTE, 0.1, { destination: from(SAAS.mde, 'mde') })),
    flow('windows-update', IMAGES.wuauserv, tcp(HOUR, 1, { destination: from(SAAS.windowsUpdate, 'wu') })),
    flow('pki', IMAGES.cryptsvc, tcp(30 * MINUTE, 1, { chance: 0.25, destination: from(SAAS.pki, 'pki') })),
    flow('sccm', IMAGES.ccmexec, tcp(HOUR, 0.2, { destination: fixed({ ...SCCM, port: 443 }) })),
    flow('sccm-notify', IMAGES.ccmexec, tcp(15 * MINUTE, 0.1, { destination: fixed({ ip: SCCM.ip, port: 10123 }) })),
    flow('backup', IMAGES.veeam, tcp(10 * MINUTE, 0.1, { hours: [1, 3], destination: fixed({ ip: BACKUP, port: 10005 }) })),
    flow('google-update', IMAGES.googleUpdate, tcp(5 * HOUR, 0.2, { destination: from(SAAS.googleUpdate, 'gupdate') })),
    flow('office-cdn', IMAGES.clickToRun, tcp(4 * HOUR, 0.2, { destination: from(SAAS.officeCdn, 'c2r') })),
    flow('chrome', user.chrome, tcp(2 * MINUTE, 1, { chance: 0.6, hours: office, destination: web('chrome') })),
    flow('chrome-quic', user.chrome, { ...tcp(10 * MINUTE, 1, { chance: 0.5, hours: office, destination: web('quic') }), protocol: 'udp' }),
    flow('edge', user.edge, tcp(5 * MINUTE, 1, { chance: 0.3, hours: office, destination: web('edge') })),
    flow('outlook', user.outlook, tcp(5 * MINUTE, 0.2, { hours: office, destination: from(SAAS.outlook, 'outlook') })),
    flow('onedrive', user.onedrive, tcp(10 * MINUTE, 0.3, { hours: office, destination: from(SAAS.onedrive, 'onedrive') })),
    flow('delivery-optimization', IMAGES.doSvc, tcp(30 * MINUTE, 1, { chance: 0.2, destination: peer })),
    flow('print', IMAGES.spoolsv, tcp(HOUR, 1, { chance: 0.15, hours: office, destination: printer })),
    flow('winrm-in', IMAGES.winrm, tcp(6 * HOUR, 1, { direction: 'inbound', chance: 0.5, destination: fixed({ ip: MANAGEMENT, port: 5985 }) })),
    ...teamsFlows(device, user, options, key, office),
    // Patch Tuesday: the update orchestrator, idle since last month, downloads the cumulative update during the window.
    flow('cumulative-update', IMAGES.mousoCoreWorker, {
      ...tcp(20 * MINUTE, 1, { chance: 0.15, hours: [10, 18], destination: from(SAAS.patchTuesday, 'lcu') }),
      activeFrom: options.windowFrom,
    }),
  ];
  if (index < ADMIN_WORKSTATIONS) {
    const server = (name: string, port: number) => (slot: number) => ({ ip: pick(SERVERS, `${key(name)}:${slot}`), port });
    flows.push(
      flow('rdp', user.mstsc, tcp(HOUR, 1, { chance: 0.3, hours: office, destination: server('rdp', 3389) })),
      flow('winrm-out', user.powershell, tcp(HOUR, 1, { chance: 0.25, hours: office, destination: server('winrm', 5985) })),
    );
  }
  return flows;
}

/**
 * Teams signalling and media relays. One host in ten already runs the next build in the baseline; during the window
 * one host in thirty updates to it, mid-day, so its client path changes.
 */
function teamsFlows(
  device: SimDevice,
  user: ReturnType<typeof userImages>,
  options: Pick<EstateOptions, 'windowFrom' | 'windowTo'>,
  key: (name: string) => string,
  office: readonly [number, number],
): Flow[] {
  const roll = unitFraction(key('teams-build'));
  const updates = roll >= 0.1 && roll < 0.1 + 1 / 30;
  const span = options.windowTo - options.windowFrom;
  const updatesAt = updates ? options.windowFrom + Math.floor(unitFraction(key('teams-at')) * span) : undefined;
  const builds: { version: string; from?: number; to?: number }[] =
    roll < 0.1
      ? [{ version: TEAMS_VERSIONS.next }]
      : updatesAt === undefined
        ? [{ version: TEAMS_VERSIONS.current }]
        : [{ version: TEAMS_VERSIONS.current, to: updatesAt }, { version: TEAMS_VERSIONS.next, from: updatesAt }];
  return builds.flatMap(({ version, from, to }) => {
    const process = user.teams(version);
    const window = { ...(from !== undefined && { activeFrom: from }), ...(to !== undefined && { activeTo: to }) };
    return [
      {
        key: key(`teams-${version}`),
        device,
        process,
        protocol: 'tcp',
        periodMs: 5 * MINUTE,
        jitter: 0.2,
        hours: office,
        ...window,
        destination: (slot: number) => pick(SAAS.teams, `${key('teams')}:${slot}`),
      },
      {
        key: key(`teams-media-${version}`),
        device,
        process,
        protocol: 'udp',
        periodMs: 10 * MINUTE,
        jitter: 1,
        chance: 0.25,
        hours: office,
        ...window,
        destination: (slot: number) => ({
          ip: pick(SAAS.teamsRelays, `${key('relay')}:${slot}`),
          port: 3478 + (hash32(`${key('relay-port')}:${slot}`) % 4),
        }),
      },
    ];
  });
}

export function createEstate(options: EstateOptions): Estate {
  const workstations = Array.from({ length: options.workstations }, (_, index) => workstation(index));
  return { workstations, flows: workstations.flatMap((device, index) => workstationFlows(device, index, options)) };
}

export const ESTATE_DAY = DAY;
