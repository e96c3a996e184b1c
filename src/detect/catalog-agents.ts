import { PROGRAM_FILES } from './catalog-paths.js';
import type { AllowRuleInput } from './settings.js';

const SENSE = `${PROGRAM_FILES}\\Windows Defender Advanced Threat Protection`;
const SENSE_PLATFORM = 'C:\\ProgramData\\Microsoft\\Windows Defender Advanced Threat Protection\\Platform\\*';
const SENSE_BINARIES = ['MsSense.exe', 'SenseNdr.exe', 'SenseCncProxy.exe', 'SenseIR.exe'];

/**
 * The agents of the EDRs and SIEMs containment-watch reads from (source types mde, crowdstrike, sentinelone,
 * elastic, splunk): they report to their cloud all day, on whatever port the vendor chose.
 */
export const AGENT_RULES: AllowRuleInput[] = [
  {
    id: 'builtin:edr-mde',
    reason: 'Microsoft Defender for Endpoint sensor reporting to its cloud',
    source: 'https://learn.microsoft.com/en-us/defender-endpoint/configure-environment',
    process_path: SENSE_BINARIES.flatMap((exe) => [`${SENSE}\\${exe}`, `${SENSE_PLATFORM}\\${exe}`]),
  },
  {
    id: 'builtin:edr-crowdstrike',
    reason: 'CrowdStrike Falcon sensor reporting to its cloud',
    source: 'https://falcon.crowdstrike.com/documentation',
    process_path: [`${PROGRAM_FILES}\\CrowdStrike\\CSFalconService.exe`, `${PROGRAM_FILES}\\CrowdStrike\\CSFalconContainer.exe`],
  },
  {
    id: 'builtin:edr-sentinelone',
    reason: 'SentinelOne agent reporting to its console',
    source: 'https://community.sentinelone.com/',
    process_path: `${PROGRAM_FILES}\\SentinelOne\\Sentinel Agent *\\SentinelAgent.exe`,
  },
  {
    id: 'builtin:edr-elastic',
    reason: 'Elastic Defend / Elastic Agent shipping telemetry',
    source: 'https://www.elastic.co/docs/reference/fleet/fleet-agent-proxy-support',
    process_path: [
      `${PROGRAM_FILES}\\Elastic\\Endpoint\\elastic-endpoint.exe`,
      `${PROGRAM_FILES}\\Elastic\\Agent\\elastic-agent.exe`,
      `${PROGRAM_FILES}\\Elastic\\Agent\\data\\elastic-agent-*\\elastic-agent.exe`,
      `${PROGRAM_FILES}\\Elastic\\Agent\\data\\elastic-agent-*\\components\\*beat.exe`,
    ],
  },
  {
    id: 'builtin:splunk-forwarder',
    reason: 'Splunk forwarder shipping logs',
    source: 'https://docs.splunk.com/Documentation/Forwarder/latest/Forwarder/Abouttheuniversalforwarder',
    process_path: [`${PROGRAM_FILES}\\SplunkUniversalForwarder\\bin\\splunkd.exe`, `${PROGRAM_FILES}\\Splunk\\bin\\splunkd.exe`],
  },
];
