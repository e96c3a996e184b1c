import { inBothProgramFiles, inSystemFolders, PROGRAM_FILES, PROGRAM_FILES_X86, USER_PROFILES, WEB_PORTS } from './catalog-paths.js';
import type { AllowRuleInput } from './settings.js';

interface Browser {
  id: string;
  name: string;
  paths: string[];
}

const BROWSERS: Browser[] = [
  { id: 'chrome', name: 'Google Chrome', paths: inBothProgramFiles('Google\\Chrome\\Application\\chrome.exe') },
  { id: 'edge', name: 'Microsoft Edge', paths: inBothProgramFiles('Microsoft\\Edge\\Application\\msedge.exe') },
  { id: 'firefox', name: 'Mozilla Firefox', paths: inBothProgramFiles('Mozilla Firefox\\firefox.exe') },
  { id: 'brave', name: 'Brave', paths: inBothProgramFiles('BraveSoftware\\Brave-Browser\\Application\\brave.exe') },
  { id: 'iexplore', name: 'Internet Explorer', paths: inBothProgramFiles('Internet Explorer\\iexplore.exe') },
  {
    // New Teams, new Outlook and Widgets do their web traffic in WebView2, not in their own process.
    id: 'edge-webview2',
    name: 'Microsoft Edge WebView2',
    paths: inBothProgramFiles('Microsoft\\EdgeWebView\\Application\\*\\msedgewebview2.exe'),
  },
];

const browserRules = BROWSERS.flatMap((browser): AllowRuleInput[] => [
  {
    id: `builtin:browser-${browser.id}`,
    reason: `${browser.name} from its install folder browsing the web (80/443 tcp)`,
    source: 'https://www.rfc-editor.org/rfc/rfc9110#name-http-related-uri-schemes',
    process_path: browser.paths,
    port: WEB_PORTS,
    protocol: 'tcp',
  },
  {
    id: `builtin:browser-${browser.id}-quic`,
    reason: `${browser.name} from its install folder using QUIC (443 udp)`,
    source: 'https://www.rfc-editor.org/rfc/rfc9114#name-discovering-an-http-3-endpo',
    process_path: browser.paths,
    port: 443,
    protocol: 'udp',
  },
]);

const TEAMS = [
  `${PROGRAM_FILES}\\WindowsApps\\MSTeams_*\\ms-teams.exe`,
  `${USER_PROFILES}\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe`,
];
const ZOOM = [...inBothProgramFiles('Zoom\\bin\\Zoom.exe'), `${USER_PROFILES}\\AppData\\Roaming\\Zoom\\bin\\Zoom.exe`];
const ONEDRIVE = [
  ...inBothProgramFiles('Microsoft OneDrive\\OneDrive.exe'),
  `${USER_PROFILES}\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe`,
];
const RDP_MANAGERS = [
  `${PROGRAM_FILES_X86}\\Microsoft\\Remote Desktop Connection Manager\\RDCMan.exe`,
  ...inBothProgramFiles('mRemoteNG\\mRemoteNG.exe'),
  ...inBothProgramFiles('Devolutions\\Remote Desktop Manager\\RemoteDesktopManager*.exe'),
];

/** Collaboration, sync and admin tools every estate runs, each limited to its product's ports. */
export const APP_RULES: AllowRuleInput[] = [
  ...browserRules,
  {
    id: 'builtin:teams',
    reason: 'Microsoft Teams signalling and chat (80/443 tcp)',
    source: 'https://learn.microsoft.com/en-us/microsoftteams/prepare-network',
    process_path: TEAMS,
    port: WEB_PORTS,
    protocol: 'tcp',
  },
  {
    id: 'builtin:teams-media',
    reason: 'Microsoft Teams calls and meetings to its media relays (3478-3481 udp)',
    source: 'https://learn.microsoft.com/en-us/microsoftteams/prepare-network',
    process_path: TEAMS,
    port: '3478-3481',
    protocol: 'udp',
  },
  {
    id: 'builtin:zoom',
    reason: 'Zoom client signalling (80/443 and 8801-8802 tcp)',
    source: 'https://support.zoom.com/hc/en/article?id=zm_kb&sysparm_article=KB0060548',
    process_path: ZOOM,
    port: [...WEB_PORTS, '8801-8802'],
    protocol: 'tcp',
  },
  {
    id: 'builtin:zoom-media',
    reason: 'Zoom meetings to its media servers (3478-3479 and 8801-8810 udp)',
    source: 'https://support.zoom.com/hc/en/article?id=zm_kb&sysparm_article=KB0060548',
    process_path: ZOOM,
    port: ['3478-3479', '8801-8810'],
    protocol: 'udp',
  },
  {
    id: 'builtin:onedrive',
    reason: 'OneDrive sync client (80/443 tcp)',
    source: 'https://learn.microsoft.com/en-us/microsoft-365/enterprise/urls-and-ip-address-ranges',
    process_path: ONEDRIVE,
    port: WEB_PORTS,
    protocol: 'tcp',
  },
  {
    id: 'builtin:rdp-mstsc',
    reason: 'Remote Desktop client (mstsc) on the RDP port, as admins use it',
    source: 'https://learn.microsoft.com/en-us/windows-server/remote/remote-desktop-services/clients/change-listening-port',
    process_path: inSystemFolders('mstsc.exe'),
    port: 3389,
    protocol: ['tcp', 'udp'],
  },
  {
    id: 'builtin:rdp-managers',
    reason: 'RDP connection managers (RDCMan, mRemoteNG, Remote Desktop Manager) from their install folders on the RDP port',
    source: 'https://learn.microsoft.com/en-us/windows-server/remote/remote-desktop-services/clients/change-listening-port',
    process_path: RDP_MANAGERS,
    port: 3389,
    protocol: ['tcp', 'udp'],
  },
];
