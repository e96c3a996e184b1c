import { AllowRuleSchema, type AllowRule, type AllowRuleInput } from './settings.js';

/**
 * The built-in allow catalog: updaters, security agents and browsers that would otherwise page someone on every
 * watch. Every entry names its binaries by full path under their install folder, never by name alone: a renamed
 * or copied binary in C:\Users\Public or %TEMP% is not allowed, and no entry relies on a signer for a Windows
 * binary. Paths assume the system drive is C:. Turn the whole catalog off with `builtin_catalog: false`.
 */

const PF = 'C:\\Program Files';
const PF86 = 'C:\\Program Files (x86)';
const WEB_PORTS = [80, 443];

const inBothProgramFiles = (relative: string): string[] => [`${PF}\\${relative}`, `${PF86}\\${relative}`];

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
];

const browserRules = BROWSERS.flatMap((browser): AllowRuleInput[] => [
  {
    id: `builtin:browser-${browser.id}`,
    reason: `${browser.name} from its install folder browsing the web (80/443 tcp)`,
    process_path: browser.paths,
    port: WEB_PORTS,
    protocol: 'tcp',
  },
  {
    id: `builtin:browser-${browser.id}-quic`,
    reason: `${browser.name} from its install folder using QUIC (443 udp)`,
    process_path: browser.paths,
    port: 443,
    protocol: 'udp',
  },
]);

const SENSE = `${PF}\\Windows Defender Advanced Threat Protection`;
const SENSE_PLATFORM = 'C:\\ProgramData\\Microsoft\\Windows Defender Advanced Threat Protection\\Platform\\*';
const DEFENDER_PLATFORM = 'C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\*';
const DEFENDER_BINARIES = ['MsMpEng.exe', 'MpDefenderCoreService.exe', 'NisSrv.exe'];
const SENSE_BINARIES = ['MsSense.exe', 'SenseNdr.exe', 'SenseCncProxy.exe', 'SenseIR.exe'];

const CATALOG: AllowRuleInput[] = [
  {
    id: 'builtin:windows-update',
    reason: 'Windows Update / BITS (svchost) downloading from Microsoft update servers',
    process_path: 'C:\\Windows\\System32\\svchost.exe',
    dst_domain: ['*.windowsupdate.com', '*.update.microsoft.com', '*.delivery.mp.microsoft.com'],
    port: WEB_PORTS,
    protocol: 'tcp',
  },
  {
    id: 'builtin:defender',
    reason: 'Microsoft Defender Antivirus cloud protection and updates',
    process_path: DEFENDER_BINARIES.flatMap((exe) => [
      `${PF}\\Windows Defender\\${exe}`,
      `${DEFENDER_PLATFORM}\\${exe}`,
    ]),
    port: 443,
    protocol: 'tcp',
  },
  {
    id: 'builtin:edr-mde',
    reason: 'Microsoft Defender for Endpoint sensor reporting to its cloud',
    process_path: SENSE_BINARIES.flatMap((exe) => [`${SENSE}\\${exe}`, `${SENSE_PLATFORM}\\${exe}`]),
  },
  {
    id: 'builtin:edr-crowdstrike',
    reason: 'CrowdStrike Falcon sensor reporting to its cloud',
    process_path: `${PF}\\CrowdStrike\\CSFalconService.exe`,
  },
  {
    id: 'builtin:edr-sentinelone',
    reason: 'SentinelOne agent reporting to its console',
    process_path: `${PF}\\SentinelOne\\Sentinel Agent *\\SentinelAgent.exe`,
  },
  {
    id: 'builtin:edr-elastic',
    reason: 'Elastic Defend / Elastic Agent shipping telemetry',
    process_path: [
      `${PF}\\Elastic\\Endpoint\\elastic-endpoint.exe`,
      `${PF}\\Elastic\\Agent\\elastic-agent.exe`,
      `${PF}\\Elastic\\Agent\\data\\elastic-agent-*\\elastic-agent.exe`,
    ],
  },
  {
    id: 'builtin:splunk-forwarder',
    reason: 'Splunk forwarder shipping logs',
    process_path: [`${PF}\\SplunkUniversalForwarder\\bin\\splunkd.exe`, `${PF}\\Splunk\\bin\\splunkd.exe`],
  },
  ...browserRules,
];

/** The catalog, parsed like YAML rules so it obeys the same schema. */
export const BUILTIN_ALLOW_RULES: readonly AllowRule[] = AllowRuleSchema.array().parse(CATALOG);
