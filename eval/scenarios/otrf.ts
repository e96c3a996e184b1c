import type { ConnectionEvent } from '../../src/contracts/connection-event.js';
import { recordingPath } from '../data-folder.js';
import type { Scenario } from '../scenario.js';

/**
 * The three OTRF Security-Datasets recordings (in the data folder, `CW_EVAL_DATA`; `npm run eval:fetch`): real Sysmon and Security logs
 * of two lab workstations running Covenant and Empire, whose C2 sits at 10.10.10.5. No recording holds a real block,
 * so each scenario blocks the C2 at a moment inside it: the implant's later connections to it must be found, and
 * nothing else the workstations do may be; with no other channel, the block held. The two other recordings of the same lab are the baseline, as an analyst
 * would give other days of the same hosts.
 */

export const RECORDINGS = {
  installutil: recordingPath('covenant_installutil'),
  wmi: recordingPath('covenant_wmi_remote_event_subscription_ActiveScriptEventConsumers'),
  empire: recordingPath('empire_dllinjection_LoadLibrary_CreateRemoteThread'),
};

const C2 = '10.10.10.5';
const VICTIMS = [
  { hostname: 'WORKSTATION5', ip: '172.18.39.5' },
  { hostname: 'WORKSTATION6', ip: '172.18.39.6' },
];
/** The lab's address plan (detection.md section 6; as eval/examples/otrf-lab.yaml); its domain controller serves DNS. */
const LAB_SETTINGS = { networks: { internal: ['172.18.0.0/16'], resolvers: ['172.18.38.5'] } };

const toC2 = (event: ConnectionEvent) => event.dst_endpoint.ip === C2 && event.direction !== 'inbound';

function recordingScenario(options: {
  name: string;
  summary: string;
  recording: keyof typeof RECORDINGS;
  blockedAt: string;
  duration: string;
  implant: { host: string; process: string };
}): Scenario {
  const others = (Object.keys(RECORDINGS) as (keyof typeof RECORDINGS)[]).filter((key) => key !== options.recording);
  return {
    name: options.name,
    summary: options.summary,
    request: {
      incident_id: `OTRF-${options.recording}`,
      title: options.summary,
      blocked: [{ type: 'ip', value: C2 }],
      blocked_at: options.blockedAt,
      hosts: VICTIMS,
      watch: { duration: options.duration },
    },
    settings: LAB_SETTINGS,
    telemetry: () => [
      { role: 'events', path: RECORDINGS[options.recording] },
      ...others.map((key) => ({ role: 'baseline' as const, path: RECORDINGS[key] })),
    ],
    isAttack: toC2,
    expected: {
      findings: [{ host: options.implant.host, process: options.implant.process, dst: { ip: C2, port: 80 }, protocol: 'tcp', kinds: ['blocked_retry'] }],
      // Sysmon does not say whether a connection got through: the implant still calls the blocked C2, the block is
      // not shown to have failed, and no other channel opened.
      verdict: 'held',
    },
  };
}

export const OTRF_SCENARIOS: Scenario[] = [
  recordingScenario({
    name: 'otrf-covenant-installutil',
    summary: 'Covenant grunt launched through InstallUtil.exe calls its C2 16 s after the block',
    recording: 'installutil',
    blockedAt: '2020-09-20T01:18:00Z',
    duration: '120s',
    implant: { host: 'WORKSTATION5', process: 'InstallUtil.exe' },
  }),
  recordingScenario({
    name: 'otrf-covenant-wmi-subscription',
    summary: 'Covenant moved to WORKSTATION6 by WMI event subscription; scrcons.exe calls the C2 after the block',
    recording: 'wmi',
    blockedAt: '2020-09-02T01:44:00Z',
    duration: '165s',
    implant: { host: 'WORKSTATION6', process: 'scrcons.exe' },
  }),
  recordingScenario({
    name: 'otrf-empire-dll-injection',
    summary: 'Empire agent in powershell.exe keeps beaconing over HTTP every 5 s after the block',
    recording: 'empire',
    blockedAt: '2020-07-22T04:02:30Z',
    duration: '150s',
    implant: { host: 'WORKSTATION5', process: 'powershell.exe' },
  }),
];
