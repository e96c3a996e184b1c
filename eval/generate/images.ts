import { sha1Hex } from '../../src/simulator/scenario/stable-hash.js';
import { fileName } from '../../src/backtest/readers/fields.js';
import type { SimProcess } from './flow.js';

export const SYSTEM_USER = 'NT AUTHORITY\\SYSTEM';
export const NETWORK_SERVICE = 'NT AUTHORITY\\NETWORK SERVICE';

/** A process image as telemetry reports it; the same path has the same hash on every host. */
export function image(path: string, cmdLine: string, user: string, parent: string): SimProcess {
  return { name: fileName(path), path, cmd_line: cmdLine, sha1: sha1Hex(`image:${path.toLowerCase()}`), user, parent_name: parent };
}

const SYSTEM32 = 'C:\\Windows\\System32';
const svchost = (service: string, group: string, user = SYSTEM_USER) =>
  image(`${SYSTEM32}\\svchost.exe`, `C:\\Windows\\system32\\svchost.exe -k ${group} -p -s ${service}`, user, 'services.exe');

/** The images of a managed Windows 11 workstation that talk to the network. */
export const IMAGES = {
  dnscache: svchost('Dnscache', 'NetworkService', NETWORK_SERVICE),
  wuauserv: svchost('wuauserv', 'netsvcs'),
  gpsvc: svchost('gpsvc', 'netsvcs'),
  cryptsvc: svchost('CryptSvc', 'NetworkService', NETWORK_SERVICE),
  winrm: svchost('WinRM', 'NetworkService', NETWORK_SERVICE),
  doSvc: svchost('DoSvc', 'NetworkService', NETWORK_SERVICE),
  lsass: image(`${SYSTEM32}\\lsass.exe`, 'C:\\Windows\\system32\\lsass.exe', SYSTEM_USER, 'wininit.exe'),
  system: { name: 'System', pid: 4, user: SYSTEM_USER },
  mousoCoreWorker: image(`${SYSTEM32}\\MoUsoCoreWorker.exe`, 'C:\\Windows\\System32\\mousocoreworker.exe -Embedding', SYSTEM_USER, 'svchost.exe'),
  spoolsv: image(`${SYSTEM32}\\spoolsv.exe`, 'C:\\Windows\\System32\\spoolsv.exe', SYSTEM_USER, 'services.exe'),
  defender: image(
    'C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0\\MsMpEng.exe',
    '"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0\\MsMpEng.exe"',
    SYSTEM_USER,
    'services.exe',
  ),
  sense: image(
    'C:\\Program Files\\Windows Defender Advanced Threat Protection\\MsSense.exe',
    '"MsSense.exe"',
    SYSTEM_USER,
    'services.exe',
  ),
  ccmexec: image('C:\\Windows\\CCM\\CcmExec.exe', 'C:\\Windows\\CCM\\CcmExec.exe', SYSTEM_USER, 'services.exe'),
  veeam: image(
    'C:\\Program Files\\Veeam\\Endpoint Backup\\Veeam.EndPoint.Service.exe',
    '"C:\\Program Files\\Veeam\\Endpoint Backup\\Veeam.EndPoint.Service.exe"',
    SYSTEM_USER,
    'services.exe',
  ),
  googleUpdate: image(
    'C:\\Program Files (x86)\\Google\\Update\\GoogleUpdate.exe',
    '"C:\\Program Files (x86)\\Google\\Update\\GoogleUpdate.exe" /ua /installsource scheduler',
    SYSTEM_USER,
    'svchost.exe',
  ),
  clickToRun: image(
    'C:\\Program Files\\Common Files\\microsoft shared\\ClickToRun\\OfficeClickToRun.exe',
    '"C:\\Program Files\\Common Files\\microsoft shared\\ClickToRun\\OfficeClickToRun.exe" /service',
    SYSTEM_USER,
    'services.exe',
  ),
} satisfies Record<string, SimProcess>;

/** Images that run as the signed-in user. */
export function userImages(user: string) {
  return {
    chrome: image(
      'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
      '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=utility --utility-sub-type=network.mojom.NetworkService',
      user,
      'chrome.exe',
    ),
    edge: image(
      'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe',
      '"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe" --type=utility --utility-sub-type=network.mojom.NetworkService',
      user,
      'msedge.exe',
    ),
    outlook: image(
      'C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE',
      '"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE"',
      user,
      'explorer.exe',
    ),
    onedrive: image(
      'C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe',
      '"C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe" /background',
      user,
      'explorer.exe',
    ),
    teams: (version: string) =>
      image(
        `C:\\Program Files\\WindowsApps\\MSTeams_${version}_x64__8wekyb3d8bbwe\\ms-teams.exe`,
        '"ms-teams.exe" --system-initiated',
        user,
        'explorer.exe',
      ),
    mstsc: image(`${SYSTEM32}\\mstsc.exe`, '"C:\\Windows\\system32\\mstsc.exe" /v:srv', user, 'explorer.exe'),
    powershell: image(
      `${SYSTEM32}\\WindowsPowerShell\\v1.0\\powershell.exe`,
      '"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" -NoProfile',
      user,
      'explorer.exe',
    ),
  };
}
