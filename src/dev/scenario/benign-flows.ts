import { pick, type Flow } from './flow.js';
import { bootStartedAt, processOn, type ProcessImage } from './hosts.js';
import { hash32 } from './stable-hash.js';
import type { SimDestination, SimHost } from './types.js';

const MICROSOFT = 'Microsoft Corporation';
const SECOND = 1_000;
const MINUTE = 60 * SECOND;

export const DOMAIN_CONTROLLER = '10.20.0.10';
export const CORPORATE_RESOLVER = '10.20.0.53';

const IMAGES = {
  wuauserv: {
    name: 'svchost.exe',
    path: 'C:\\Windows\\System32\\svchost.exe',
    cmd_line: 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s wuauserv',
    parent: 'services.exe',
    parent_path: 'C:\\Windows\\System32\\services.exe',
    company: MICROSOFT,
    system: true,
  },
  gpsvc: {
    name: 'svchost.exe',
    path: 'C:\\Windows\\System32\\svchost.exe',
    cmd_line: 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s gpsvc',
    parent: 'services.exe',
    parent_path: 'C:\\Windows\\System32\\services.exe',
    company: MICROSOFT,
    system: true,
  },
  dnscache: {
    name: 'svchost.exe',
    path: 'C:\\Windows\\System32\\svchost.exe',
    cmd_line: 'C:\\Windows\\system32\\svchost.exe -k NetworkService -p -s Dnscache',
    parent: 'services.exe',
    parent_path: 'C:\\Windows\\System32\\services.exe',
    company: MICROSOFT,
    system: false,
  },
  lsass: {
    name: 'lsass.exe',
    path: 'C:\\Windows\\System32\\lsass.exe',
    cmd_line: 'C:\\Windows\\system32\\lsass.exe',
    parent: 'wininit.exe',
    parent_path: 'C:\\Windows\\System32\\wininit.exe',
    company: MICROSOFT,
    system: true,
  },
  defender: {
    name: 'MsMpEng.exe',
    path: 'C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0\\MsMpEng.exe',
    cmd_line: '"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0\\MsMpEng.exe"',
    parent: 'services.exe',
    parent_path: 'C:\\Windows\\System32\\services.exe',
    company: MICROSOFT,
    system: true,
  },
  sense: {
    name: 'MsSense.exe',
    path: 'C:\\Program Files\\Windows Defender Advanced Threat Protection\\MsSense.exe',
    cmd_line: '"MsSense.exe"',
    parent: 'services.exe',
    parent_path: 'C:\\Windows\\System32\\services.exe',
    company: MICROSOFT,
    system: true,
  },
  teams: {
    name: 'ms-teams.exe',
    path: 'C:\\Program Files\\WindowsApps\\MSTeams_24295.605.3225.8804_x64__8wekyb3d8bbwe\\ms-teams.exe',
    cmd_line: '"ms-teams.exe" --system-initiated',
    parent: 'explorer.exe',
    parent_path: 'C:\\Windows\\explorer.exe',
    company: MICROSOFT,
    system: false,
  },
  chrome: {
    name: 'chrome.exe',
    path: 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
    cmd_line: '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=utility --utility-sub-type=network.mojom.NetworkService',
    parent: 'chrome.exe',
    parent_path: 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
    company: 'Google LLC',
    system: false,
  },
} satisfies Record<string, ProcessImage>;

const WINDOWS_UPDATE: readonly SimDestination[] = [
  { ip: '20.72.205.209', port: 443, hostname: 'fe3cr.delivery.mp.microsoft.com' },
  { ip: '13.107.4.50', port: 443, hostname: '7.tlu.dl.delivery.mp.microsoft.com' },
  { ip: '23.55.110.17', port: 443, hostname: 'ctldl.windowsupdate.com' },
];
const TEAMS_RELAYS = ['52.112.36.12', '52.112.65.200', '52.113.194.133'];
const KNOWN_SITES: readonly SimDestination[] = [
  { ip: '142.250.179.100', port: 443, hostname: 'www.google.com' },
  { ip: '52.97.146.162', port: 443, hostname: 'outlook.office.com' },
  { ip: '140.82.121.4', port: 443, hostname: 'github.com' },
  { ip: '185.15.58.224', port: 443, hostname: 'en.wikipedia.org' },
  { ip: '151.101.0.81', port: 443, hostname: 'www.bbc.co.uk' },
  { ip: '104.18.32.47', port: 443, hostname: 'intranet-cdn.corp-partner.example' },
];

/** After the block users keep browsing, also to sites never seen in the baseline. */
function browsing(host: SimHost, blockedAt: number, periodMs: number) {
  return (slot: number): SimDestination => {
    const seed = `${host.hostname}:chrome:${slot}`;
    const afterBlock = slot * periodMs >= blockedAt;
    if (afterBlock && hash32(`${seed}:new`) % 4 === 0) {
      const n = hash32(`${seed}:site`) % 200;
      return { ip: `151.101.${n}.${(n * 7) % 250 + 1}`, port: 443, hostname: `news-${n}.example.org` };
    }
    return pick(KNOWN_SITES, seed);
  };
}

/**
 * Background traffic every Windows workstation makes, before and after the block. `timeScale` divides every
 * period (never below one second), so a time-compressed watch of seconds still sees each host talk.
 */
export function benignFlows(host: SimHost, blockedAt: number, timeScale = 1): Flow[] {
  const flow = (name: string, image: ProcessImage, rest: Omit<Flow, 'key' | 'host' | 'process'>): Flow => ({
    key: `${host.hostname}:${name}`,
    host,
    process: processOn(host, image),
    startedAt: bootStartedAt(host, image, blockedAt),
    ...rest,
    periodMs: Math.max(SECOND, Math.round(rest.periodMs / timeScale)),
  });
  const fixed = (dst: SimDestination) => () => dst;
  const chromePeriod = Math.max(SECOND, Math.round((45 * SECOND) / timeScale));
  return [
    flow('windows-update', IMAGES.wuauserv, {
      protocol: 'tcp',
      outcome: 'success',
      periodMs: 15 * MINUTE,
      jitter: 1,
      destination: (slot) => pick(WINDOWS_UPDATE, `${host.hostname}:wu:${slot}`),
    }),
    flow('defender-cloud', IMAGES.defender, {
      protocol: 'tcp',
      outcome: 'success',
      periodMs: 10 * MINUTE,
      jitter: 1,
      destination: fixed({ ip: '52.182.141.63', port: 443, hostname: 'wdcp.microsoft.com' }),
    }),
    flow('mde-sensor', IMAGES.sense, {
      protocol: 'tcp',
      outcome: 'success',
      periodMs: 2 * MINUTE,
      jitter: 1,
      destination: fixed({ ip: '20.50.201.195', port: 443, hostname: 'winatp-gw-weu.microsoft.com' }),
    }),
    flow('teams', IMAGES.teams, {
      protocol: 'tcp',
      outcome: 'success',
      periodMs: 3 * MINUTE,
      jitter: 1,
      destination: fixed({ ip: '52.113.194.132', port: 443, hostname: 'teams.microsoft.com' }),
    }),
    flow('teams-media', IMAGES.teams, {
      protocol: 'udp',
      outcome: 'success',
      periodMs: 10 * MINUTE,
      jitter: 1,
      destination: (slot) => ({ ip: pick(TEAMS_RELAYS, `${host.hostname}:relay:${slot}`), port: 3478 }),
    }),
    flow('browsing', IMAGES.chrome, {
      protocol: 'tcp',
      outcome: 'success',
      periodMs: chromePeriod,
      jitter: 1,
      destination: browsing(host, blockedAt, chromePeriod),
    }),
    flow('kerberos', IMAGES.lsass, {
      protocol: 'tcp',
      outcome: 'success',
      periodMs: 20 * MINUTE,
      jitter: 1,
      destination: fixed({ ip: DOMAIN_CONTROLLER, port: 88 }),
    }),
    flow('ldap', IMAGES.gpsvc, {
      protocol: 'tcp',
      outcome: 'success',
      periodMs: 30 * MINUTE,
      jitter: 1,
      destination: fixed({ ip: DOMAIN_CONTROLLER, port: 389 }),
    }),
    flow('smb-sysvol', IMAGES.gpsvc, {
      protocol: 'tcp',
      outcome: 'success',
      periodMs: 30 * MINUTE,
      jitter: 1,
      destination: fixed({ ip: DOMAIN_CONTROLLER, port: 445 }),
    }),
    flow('dns', IMAGES.dnscache, {
      protocol: 'udp',
      outcome: 'success',
      periodMs: 30 * SECOND,
      jitter: 1,
      destination: fixed({ ip: CORPORATE_RESOLVER, port: 53 }),
    }),
  ];
}
