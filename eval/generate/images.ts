import { sha1Hex } from '../../src/dev/scenario/stable-hash.js';
import { fileName } from '../../src/backtest/readers/fields.js';
import type { SimProcess } from './flow.js';

/**
 * The process images of a managed Windows 11 workstation that talk to the network, with the paths, command lines,
 * accounts and parents real installs use (Microsoft's, Google's, Apple's, Zoom's, Slack's and Palo Alto Networks'
 * install documentation and what Sysmon and Defender record for them). Written from those descriptions only: the
 * detector's suppression catalog is neither read nor imported here, so an application it does not know shows up
 * in the evaluation as a false finding.
 */

export const SYSTEM_USER = 'NT AUTHORITY\\SYSTEM';
export const NETWORK_SERVICE = 'NT AUTHORITY\\NETWORK SERVICE';
export const LOCAL_SERVICE = 'NT AUTHORITY\\LOCAL SERVICE';

/** A process image as telemetry reports it; the same path has the same hash on every host. */
export function image(path: string, cmdLine: string, user: string, parent: string): SimProcess {
  return { name: fileName(path), path, cmd_line: cmdLine, sha1: sha1Hex(`image:${path.toLowerCase()}`), user, parent_name: parent };
}

const SYSTEM32 = 'C:\\Windows\\System32';
/** A service hosted in svchost.exe, as `-k <group> -p -s <service>` (Windows 10 1703 and later split services). */
const svchost = (service: string, group: string, user = SYSTEM_USER) =>
  image(`${SYSTEM32}\\svchost.exe`, `C:\\Windows\\system32\\svchost.exe -k ${group} -p -s ${service}`, user, 'services.exe');

/** Defender's platform lives in a versioned folder under ProgramData; a monthly platform update moves it. */
export const DEFENDER_PLATFORMS = { current: '4.18.25010.11-0', next: '4.18.25020.1009-0' } as const;
/** The Edge WebView2 runtime is versioned per folder too (Teams, Widgets and Office add-ins run in it). */
export const WEBVIEW2_VERSIONS = { current: '133.0.3065.82', next: '134.0.3124.51' } as const;
/** Google's updater (since 2023) runs from a versioned folder and updates itself. */
export const GOOGLE_UPDATER_VERSIONS = { current: '133.0.6920.0', next: '134.0.6998.0' } as const;
/** The Azure VM guest agent unpacks each version into its own folder (as OTRF's Azure lab hosts show). */
const AZURE_GUEST_AGENT = 'C:\\WindowsAzure\\GuestAgent_2.7.41491.1102_2025-02-11_031457';

/** Services and agents running as SYSTEM, NETWORK SERVICE or LOCAL SERVICE. */
export const IMAGES = {
  dnscache: svchost('Dnscache', 'NetworkService', NETWORK_SERVICE),
  w32time: svchost('W32Time', 'LocalService', LOCAL_SERVICE),
  nlasvc: svchost('NlaSvc', 'NetworkService', NETWORK_SERVICE),
  wuauserv: svchost('wuauserv', 'netsvcs'),
  doSvc: svchost('DoSvc', 'NetworkService', NETWORK_SERVICE),
  cryptsvc: svchost('CryptSvc', 'NetworkService', NETWORK_SERVICE),
  diagtrack: svchost('DiagTrack', 'utcsvc'),
  wpnService: svchost('WpnService', 'netsvcs'),
  gpsvc: svchost('gpsvc', 'netsvcs'),
  ssdp: svchost('SSDPSRV', 'LocalServiceAndNoImpersonation', LOCAL_SERVICE),
  winrm: svchost('WinRM', 'NetworkService', NETWORK_SERVICE),
  lsass: image(`${SYSTEM32}\\lsass.exe`, 'C:\\Windows\\system32\\lsass.exe', SYSTEM_USER, 'wininit.exe'),
  system: { name: 'System', pid: 4, user: SYSTEM_USER },
  spoolsv: image(`${SYSTEM32}\\spoolsv.exe`, 'C:\\Windows\\System32\\spoolsv.exe', SYSTEM_USER, 'services.exe'),
  mousoCoreWorker: image(`${SYSTEM32}\\MoUsoCoreWorker.exe`, 'C:\\Windows\\System32\\mousocoreworker.exe -Embedding', SYSTEM_USER, 'svchost.exe'),
  omadmclient: image(`${SYSTEM32}\\omadmclient.exe`, 'C:\\Windows\\system32\\omadmclient.exe /o 0x3', SYSTEM_USER, 'svchost.exe'),
  defender: (platform: string) =>
    image(
      `C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\${platform}\\MsMpEng.exe`,
      `"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\${platform}\\MsMpEng.exe"`,
      SYSTEM_USER,
      'services.exe',
    ),
  defenderCore: (platform: string) =>
    image(
      `C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\${platform}\\MpDefenderCoreService.exe`,
      `"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\${platform}\\MpDefenderCoreService.exe"`,
      SYSTEM_USER,
      'services.exe',
    ),
  sense: image('C:\\Program Files\\Windows Defender Advanced Threat Protection\\MsSense.exe', '"MsSense.exe"', SYSTEM_USER, 'services.exe'),
  senseNdr: image(
    'C:\\Program Files\\Windows Defender Advanced Threat Protection\\SenseNdr.exe',
    '"SenseNdr.exe"',
    SYSTEM_USER,
    'MsSense.exe',
  ),
  ccmexec: image('C:\\Windows\\CCM\\CcmExec.exe', 'C:\\Windows\\CCM\\CcmExec.exe', SYSTEM_USER, 'services.exe'),
  intuneAgent: image(
    'C:\\Program Files (x86)\\Microsoft Intune Management Extension\\Microsoft.Management.Services.IntuneWindowsAgent.exe',
    '"C:\\Program Files (x86)\\Microsoft Intune Management Extension\\Microsoft.Management.Services.IntuneWindowsAgent.exe"',
    SYSTEM_USER,
    'services.exe',
  ),
  edgeUpdate: image(
    'C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe',
    '"C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe" /ua /installsource scheduler',
    SYSTEM_USER,
    'svchost.exe',
  ),
  googleUpdater: (version: string) =>
    image(
      `C:\\Program Files (x86)\\Google\\GoogleUpdater\\${version}\\updater.exe`,
      `"C:\\Program Files (x86)\\Google\\GoogleUpdater\\${version}\\updater.exe" --wake --system`,
      SYSTEM_USER,
      'svchost.exe',
    ),
  clickToRun: image(
    'C:\\Program Files\\Common Files\\microsoft shared\\ClickToRun\\OfficeClickToRun.exe',
    '"C:\\Program Files\\Common Files\\microsoft shared\\ClickToRun\\OfficeClickToRun.exe" /service',
    SYSTEM_USER,
    'services.exe',
  ),
  azureGuestAgent: image(
    `${AZURE_GUEST_AGENT}\\GuestAgent\\WindowsAzureGuestAgent.exe`,
    `"${AZURE_GUEST_AGENT}\\GuestAgent\\WindowsAzureGuestAgent.exe"`,
    SYSTEM_USER,
    'WaAppAgent.exe',
  ),
  azureAppAgent: image(`${AZURE_GUEST_AGENT}\\WaAppAgent.exe`, `"${AZURE_GUEST_AGENT}\\WaAppAgent.exe"`, SYSTEM_USER, 'services.exe'),
  rdAgentBootLoader: image(
    'C:\\Program Files\\Microsoft RDInfra\\RDAgentBootLoader\\RDAgentBootLoader.exe',
    '"C:\\Program Files\\Microsoft RDInfra\\RDAgentBootLoader\\RDAgentBootLoader.exe"',
    SYSTEM_USER,
    'services.exe',
  ),
  globalProtect: image(
    'C:\\Program Files\\Palo Alto Networks\\GlobalProtect\\PanGPS.exe',
    '"C:\\Program Files\\Palo Alto Networks\\GlobalProtect\\PanGPS.exe"',
    SYSTEM_USER,
    'services.exe',
  ),
};

/** Images that run as the signed-in user; per-user installs live under the profile, as their vendors install them. */
export function userImages(user: string) {
  const profile = `C:\\Users\\${user.split('\\').pop()}`;
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
    webview2: (version: string) =>
      image(
        `C:\\Program Files (x86)\\Microsoft\\EdgeWebView\\Application\\${version}\\msedgewebview2.exe`,
        `"C:\\Program Files (x86)\\Microsoft\\EdgeWebView\\Application\\${version}\\msedgewebview2.exe" --type=utility --utility-sub-type=network.mojom.NetworkService`,
        user,
        'msedgewebview2.exe',
      ),
    outlook: image(
      'C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE',
      '"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE"',
      user,
      'explorer.exe',
    ),
    word: image(
      'C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE',
      '"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE" /n',
      user,
      'explorer.exe',
    ),
    excel: image(
      'C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE',
      '"C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE"',
      user,
      'explorer.exe',
    ),
    // OneDrive installs per user by default, under the profile.
    onedrive: image(
      `${profile}\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe`,
      `"${profile}\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe" /background`,
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
    smartscreen: image(`${SYSTEM32}\\smartscreen.exe`, 'C:\\Windows\\System32\\smartscreen.exe -Embedding', user, 'svchost.exe'),
    searchHost: image(
      'C:\\Windows\\SystemApps\\MicrosoftWindows.Client.CBS_cw5n1h2txyewy\\SearchHost.exe',
      '"C:\\Windows\\SystemApps\\MicrosoftWindows.Client.CBS_cw5n1h2txyewy\\SearchHost.exe" -ServerName:CortanaUI.AppX8z9r6jm96hw4bsbneegw0kyxx296wr9t.mca',
      user,
      'svchost.exe',
    ),
    // Zoom's and Slack's default installers are per user too.
    zoom: image(`${profile}\\AppData\\Roaming\\Zoom\\bin\\Zoom.exe`, `"${profile}\\AppData\\Roaming\\Zoom\\bin\\Zoom.exe"`, user, 'explorer.exe'),
    slack: (version: string) =>
      image(`${profile}\\AppData\\Local\\slack\\app-${version}\\slack.exe`, `"${profile}\\AppData\\Local\\slack\\app-${version}\\slack.exe"`, user, 'slack.exe'),
    // iCloud for Windows' push daemon keeps the Apple Push Notification service connection.
    applePush: image(
      'C:\\Program Files (x86)\\Common Files\\Apple\\Internet Services\\APSDaemon.exe',
      '"C:\\Program Files (x86)\\Common Files\\Apple\\Internet Services\\APSDaemon.exe"',
      user,
      'iCloudServices.exe',
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
