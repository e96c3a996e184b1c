import type { ConnectionEvent } from '../../src/contracts/connection-event.js';
import type { Indicator } from '../../src/contracts/containment-request.js';
import type { Verdict } from '../../src/contracts/watch.js';
import { recordingPath } from '../data-folder.js';
import type { RecordingName } from '../recordings.js';
import type { ExpectedFinding, Scenario } from '../scenario.js';

/**
 * The eleven OTRF Security-Datasets recordings (MIT licence; read from the data folder, `CW_EVAL_DATA`, fetched by
 * `npm run eval:fetch`): real Sysmon and Windows Security (WFP 5156/5157) logs of lab hosts running Covenant and
 * Empire, each with minutes of real background traffic (Azure VM agent, Edge, Windows services, Kerberos, LDAP, SMB
 * and DNS to the domain controller).
 *
 * Ten come from one lab (theshire.local, called mordor.local in July 2020): WORKSTATION5 172.18.39.5, WORKSTATION6
 * 172.18.39.6, MORDORDC 172.18.38.5 (DC and DNS), the C2 listener at 10.10.10.5. The eleventh
 * (covenant_psremoting_grunt, December 2019) is another lab (shire.com: IT001 .105, HR001 .106, ACCT001 .100,
 * FILE001 .103, HFDC01 172.18.39.5 as DC and DNS, the C2 at 172.18.39.8).
 *
 * No recording holds a real block: each scenario puts one at a moment when the C2 is live, from the facts of the
 * recording, and declares what the watch must then find, before any run. The baseline is what a live watch would
 * have had: the same hosts' recordings of earlier days (other days of the lab, in date order) plus the minutes of
 * the recording before the block; the earliest recording of each lab has only those minutes. Each window ends
 * within a minute of the last event of every source in the recording, since the backtest counts a source as read
 * up to its last event.
 *
 * Times below are as the telemetry gives them. Where two hosts' clocks disagree (WORKSTATION6's Sysmon network
 * events run about 10 s behind its own other logs in the DCOM recording), the block is placed on the clock of the
 * watched host's network events.
 */

const C2 = '10.10.10.5';
const WS5 = { hostname: 'WORKSTATION5', ip: '172.18.39.5' };
const WS6 = { hostname: 'WORKSTATION6', ip: '172.18.39.6' };
/** The lab's address plan (reference/detection.md section 6; as eval/examples/otrf-lab.yaml); its DC serves DNS. */
const SHIRE_SETTINGS = { networks: { internal: ['172.18.0.0/16'], resolvers: ['172.18.38.5'] } };

/** The shire lab's recordings, oldest first: each scenario's baseline is the ones before its own. */
const SHIRE_DAYS: readonly RecordingName[] = [
  'empire_dllinjection_LoadLibrary_CreateRemoteThread', // 2020-07-22
  'covenant_sharpsc_create_dcerpc_smb_svcctl', // 2020-08-06
  'empire_mimikatz_logonpasswords', // 2020-08-07
  'covenant_wmi_remote_event_subscription_ActiveScriptEventConsumers', // 2020-09-02
  'empire_persistence_registry_modification_run_keys_standard_user', // 2020-09-04 07:06
  'empire_launcher_vbs', // 2020-09-04 20:09
  'covenant_installutil', // 2020-09-20 01:17
  'empire_psexec_dcerpc_tcp_svcctl', // 2020-09-20 16:16
  'empire_shell_net_local_users', // 2020-09-21
  'covenant_dcom_iertutil_dll_hijack', // 2020-10-09
];

const earlierDays = (recording: RecordingName): RecordingName[] => {
  const index = SHIRE_DAYS.indexOf(recording);
  return index < 0 ? [] : SHIRE_DAYS.slice(0, index);
};

/** One attacker connection pattern: every field given must match. */
interface AttackRule {
  /** The host whose telemetry holds the event, by its first DNS label. */
  host: string;
  /** Image file name, case-insensitive. */
  image?: string;
  pid?: number;
  src?: string;
  dst?: string;
  ports?: readonly number[];
  /** Inclusive time range, ISO 8601. */
  from?: string;
  to?: string;
}

const shortName = (hostname: string | undefined) => (hostname ?? '').split('.')[0]!.toLowerCase();
const imageName = (event: ConnectionEvent) => (event.process?.name ?? event.process?.path?.split('\\').pop() ?? '').toLowerCase();

function matchesRule(event: ConnectionEvent, rule: AttackRule): boolean {
  if (shortName(event.device.hostname) !== rule.host.toLowerCase()) return false;
  if (rule.image !== undefined && imageName(event) !== rule.image.toLowerCase()) return false;
  if (rule.pid !== undefined && event.process?.pid !== rule.pid) return false;
  if (rule.src !== undefined && event.src_endpoint?.ip !== rule.src) return false;
  if (rule.dst !== undefined && event.dst_endpoint.ip !== rule.dst) return false;
  if (rule.ports !== undefined && !rule.ports.includes(event.dst_endpoint.port ?? -1)) return false;
  if (rule.from !== undefined && event.time < Date.parse(rule.from)) return false;
  if (rule.to !== undefined && event.time > Date.parse(rule.to)) return false;
  return true;
}

/** The attacker's connections: anything outbound to the C2, and the scenario's own rules (lateral movement, implants). */
function attackOf(c2: string, rules: readonly AttackRule[]): (event: ConnectionEvent) => boolean {
  return (event) => (event.dst_endpoint.ip === c2 && event.direction !== 'inbound') || rules.some((rule) => matchesRule(event, rule));
}

const retry = (host: string, process: string, fact: string, ip = C2): ExpectedFinding => ({
  host,
  process,
  dst: { ip, port: 80 },
  protocol: 'tcp',
  minSeverity: 'high',
  kinds: ['blocked_retry'],
  fact,
});

function recordingScenario(options: {
  name: string;
  summary: string;
  recording: RecordingName;
  baseline?: readonly RecordingName[];
  blocked: Indicator[];
  blockedAt: string;
  duration: string;
  hosts: { hostname: string; ip: string }[];
  settings?: Scenario['settings'];
  c2?: string;
  attack?: readonly AttackRule[];
  findings: ExpectedFinding[];
  verdict: Verdict;
  because: string;
}): Scenario {
  const baseline = options.baseline ?? earlierDays(options.recording);
  return {
    name: options.name,
    summary: options.summary,
    data: 'recording',
    recordings: [options.recording, ...baseline],
    request: {
      incident_id: `OTRF-${options.name}`,
      title: options.summary,
      blocked: options.blocked,
      blocked_at: options.blockedAt,
      hosts: options.hosts,
      watch: { duration: options.duration },
    },
    settings: options.settings ?? SHIRE_SETTINGS,
    telemetry: () => [
      { role: 'events', path: recordingPath(options.recording) },
      ...baseline.map((name) => ({ role: 'baseline' as const, path: recordingPath(name) })),
    ],
    isAttack: attackOf(options.c2 ?? C2, options.attack ?? []),
    expected: { findings: options.findings, verdict: options.verdict, because: options.because },
  };
}

const blockC2: Indicator[] = [{ type: 'ip', value: C2 }];

export const OTRF_SCENARIOS: Scenario[] = [
  recordingScenario({
    name: 'otrf-empire-dll-injection',
    summary:
      'Empire agent in powershell.exe on WORKSTATION5 beacons to 10.10.10.5:80 every 5 s (04:00:48 to 04:04:59) and injects a DLL ' +
      'into notepad.exe (CreateRemoteThread, 04:01:03); the C2 is blocked mid-beacon. The lab\'s earliest recording: the ' +
      'baseline is its own two minutes before the block',
    recording: 'empire_dllinjection_LoadLibrary_CreateRemoteThread',
    blocked: blockC2,
    blockedAt: '2020-07-22T04:02:30Z',
    duration: '151s',
    hosts: [WS5, WS6],
    attack: [{ host: 'WORKSTATION5', image: 'powershell.exe', pid: 9076 }],
    findings: [retry('WORKSTATION5', 'powershell.exe', 'powershell.exe (pid 9076) keeps calling 10.10.10.5:80 every ~5 s until 04:04:59, 30 times after the block')],
    verdict: 'held',
    because: 'the agent only retries the blocked address (Sysmon does not say a connection got through); the injected notepad.exe makes no connection; no other channel',
  }),
  recordingScenario({
    name: 'otrf-covenant-sharpsc',
    summary:
      'The Covenant grunt C:\\Users\\pgustavo\\Desktop\\GruntHTTP.exe on WORKSTATION5 runs SharpSC against WORKSTATION6: ' +
      'dynamic RPC (06:26:47, refused by WORKSTATION6\'s firewall), the endpoint mapper on 135 (06:26:48) and SMB svcctl ' +
      '(06:27:09, 06:27:30) create a service whose binary is GruntHTTP2.exe (not started in the recording). The C2 is ' +
      'blocked while the task runs (it arrived before 06:26:47): the grunt goes on acting against WORKSTATION6 after the block',
    recording: 'covenant_sharpsc_create_dcerpc_smb_svcctl',
    blocked: blockC2,
    blockedAt: '2020-08-06T06:26:47.500Z',
    duration: '128s',
    hosts: [WS5, WS6],
    attack: [
      { host: 'WORKSTATION5', image: 'GruntHTTP.exe' },
      { host: 'WORKSTATION5', image: 'System', dst: WS6.ip, ports: [445], from: '2020-08-06T06:27:09Z', to: '2020-08-06T06:27:31Z' },
      { host: 'WORKSTATION6', src: WS5.ip, dst: WS6.ip, from: '2020-08-06T06:26:47Z', to: '2020-08-06T06:27:31Z' },
    ],
    findings: [
      {
        host: 'WORKSTATION5',
        process: 'GruntHTTP.exe',
        dst: { ip: WS6.ip },
        protocol: 'tcp',
        minSeverity: 'medium',
        kinds: [],
        fact:
          'after the block the implant binary, an exe on the user\'s Desktop that never made a connection in the baseline, connects to ' +
          'WORKSTATION6 on 135 (06:26:48) and on dynamic RPC 50115 (06:27:08) to create a remote service',
      },
    ],
    verdict: 'breached',
    because: 'the implant acts through a channel other than the blocked one after the block: it reached WORKSTATION6 and created a service there',
  }),
  recordingScenario({
    name: 'otrf-empire-mimikatz',
    summary:
      'Empire agent in powershell.exe on WORKSTATION5 beacons to 10.10.10.5:80 every ~5 s (14:32:22 to 14:35:19) and runs ' +
      'Mimikatz logonpasswords in process; the C2 is blocked mid-beacon',
    recording: 'empire_mimikatz_logonpasswords',
    blocked: blockC2,
    blockedAt: '2020-08-07T14:33:30Z',
    duration: '109s',
    hosts: [WS5, WS6],
    attack: [{ host: 'WORKSTATION5', image: 'powershell.exe', pid: 1648 }],
    findings: [retry('WORKSTATION5', 'powershell.exe', 'powershell.exe (pid 1648) keeps calling 10.10.10.5:80 every ~5 s until 14:35:19, 22 times after the block')],
    verdict: 'held',
    because: 'the agent only retries the blocked address, and no other channel opens',
  }),
  recordingScenario({
    name: 'otrf-covenant-wmi-subscription',
    summary:
      'MoveWMI.exe on WORKSTATION5 (started by the grunt\'s powershell.exe) plants an ActiveScriptEventConsumer on WORKSTATION6 over ' +
      'DCOM (01:43:48); the C2 is blocked at 01:44:00; the subscription fires after the block: scrcons.exe, which never ran on ' +
      'any host before, starts on WORKSTATION6 (01:44:10, parent svchost.exe, -Embedding) and calls the blocked C2 (01:44:12)',
    recording: 'covenant_wmi_remote_event_subscription_ActiveScriptEventConsumers',
    blocked: blockC2,
    blockedAt: '2020-09-02T01:44:00Z',
    duration: '170s',
    hosts: [WS5, WS6],
    attack: [
      { host: 'WORKSTATION5', image: 'MoveWMI.exe' },
      { host: 'WORKSTATION5', dst: WS6.ip, from: '2020-09-02T01:43:48Z', to: '2020-09-02T01:44:10Z' },
      { host: 'WORKSTATION6', image: 'scrcons.exe' },
    ],
    findings: [retry('WORKSTATION6', 'scrcons.exe', 'scrcons.exe, first executed after the block by the WMI subscription, calls 10.10.10.5:80 at 01:44:12')],
    verdict: 'held',
    because: 'the new implant calls only the blocked address (not shown to get through); no other channel opens',
  }),
  recordingScenario({
    name: 'otrf-empire-run-key-reboot',
    summary:
      'The Empire agent (powershell.exe, polling every 5 s) writes a Run key on WORKSTATION5 (07:06:21); the C2 is blocked at ' +
      '07:07:00; WORKSTATION5 reboots (07:07:20 to 07:08:10) and, at logon, the Run key starts a new powershell.exe agent that ' +
      'calls the blocked C2 (07:09:03, Windows Filtering Platform). Every service of the boot starts after the block too',
    recording: 'empire_persistence_registry_modification_run_keys_standard_user',
    blocked: blockC2,
    blockedAt: '2020-09-04T07:07:00Z',
    duration: '166s',
    hosts: [WS5, WS6],
    findings: [retry('WORKSTATION5', 'powershell.exe', 'the agent restarted by the Run key calls 10.10.10.5:80 at 07:09:03 (WFP 5156, pid 1376)')],
    verdict: 'held',
    because: 'the persistence brings the agent back, but it only calls the blocked address; no other channel opens',
  }),
  recordingScenario({
    name: 'otrf-empire-launcher-vbs',
    summary:
      'A user opens launcher.vbs on WORKSTATION5 (wscript.exe, 20:09:55) which starts the Empire stager in powershell.exe; the C2 ' +
      'is blocked at 20:09:57, before the stager\'s first call (20:09:59, the only one Sysmon logged)',
    recording: 'empire_launcher_vbs',
    blocked: blockC2,
    blockedAt: '2020-09-04T20:09:57Z',
    duration: '49s',
    hosts: [WS5, WS6],
    attack: [{ host: 'WORKSTATION5', image: 'wscript.exe' }],
    findings: [retry('WORKSTATION5', 'powershell.exe', 'the stager (powershell.exe, parent wscript.exe) calls 10.10.10.5:80 at 20:09:59')],
    verdict: 'held',
    because: 'the stager only calls the blocked address; no other channel opens',
  }),
  recordingScenario({
    name: 'otrf-covenant-installutil',
    summary:
      'The grunt GruntHTTP.exe on WORKSTATION5, tasked over its live C2, starts cmd.exe and InstallUtil.exe (01:18:13) to load a ' +
      'second grunt; the C2 is blocked at 01:18:14; the InstallUtil.exe grunt calls it at 01:18:16',
    recording: 'covenant_installutil',
    blocked: blockC2,
    blockedAt: '2020-09-20T01:18:14Z',
    duration: '101s',
    hosts: [WS5, WS6],
    attack: [
      { host: 'WORKSTATION5', image: 'GruntHTTP.exe' },
      { host: 'WORKSTATION5', image: 'InstallUtil.exe' },
    ],
    findings: [retry('WORKSTATION5', 'InstallUtil.exe', 'InstallUtil.exe (parent cmd.exe, grandparent GruntHTTP.exe) calls 10.10.10.5:80 at 01:18:16')],
    verdict: 'held',
    because: 'the only attacker connection after the block goes to the blocked address; no other channel opens',
  }),
  recordingScenario({
    name: 'otrf-empire-psexec-new-process',
    summary:
      'The Empire agent on WORKSTATION5 runs Invoke-PsExec against WORKSTATION6 (svcctl over TCP, received 16:16:56.0). The SOC, ' +
      'whose telemetry holds none of that agent\'s C2 traffic, isolates WORKSTATION5 (blocks 172.18.39.5) at 16:16:56.5, after the ' +
      'service was created. On WORKSTATION6, services.exe then starts cmd.exe and a new SYSTEM powershell.exe agent (16:16:56.6) ' +
      'that calls 10.10.10.5:80 (16:17:01), an address the lab\'s hosts contacted on earlier days and which is not blocked. ' +
      'The watch covers WORKSTATION6; WORKSTATION5 (isolated) is left out, its clock runs 3 s ahead of WORKSTATION6\'s',
    recording: 'empire_psexec_dcerpc_tcp_svcctl',
    blocked: [{ type: 'ip', value: WS5.ip }],
    blockedAt: '2020-09-20T16:16:56.500Z',
    duration: '65s',
    hosts: [WS6],
    attack: [
      { host: 'WORKSTATION5', image: 'powershell.exe', dst: WS6.ip },
      { host: 'WORKSTATION6', image: 'powershell.exe', from: '2020-09-20T16:16:56Z' },
      { host: 'WORKSTATION6', image: 'cmd.exe', from: '2020-09-20T16:16:56Z' },
    ],
    findings: [
      {
        host: 'WORKSTATION6',
        process: 'powershell.exe',
        dst: { ip: C2, port: 80 },
        protocol: 'tcp',
        minSeverity: 'high',
        kinds: [],
        fact:
          'a process first executed after the block, started by services.exe through cmd.exe (a remote service, as PsExec does), runs an ' +
          'encoded PowerShell command as SYSTEM and calls 10.10.10.5:80 over HTTP 5 s later',
      },
    ],
    verdict: 'breached',
    because: 'the new agent reached its C2 through an address the block does not cover',
  }),
  recordingScenario({
    name: 'otrf-empire-shell-net-users',
    summary:
      'The Empire agent on WORKSTATION5 runs `net user` (23:26:20); the C2 is blocked right after. Sysmon logged no connection of ' +
      'the agent in the whole recording: the window holds only the two workstations\' own traffic',
    recording: 'empire_shell_net_local_users',
    blocked: blockC2,
    blockedAt: '2020-09-21T23:26:21Z',
    duration: '56s',
    hosts: [WS5, WS6],
    findings: [],
    verdict: 'held',
    because: 'no attacker connection is in the telemetry after the block, and both hosts report throughout the window',
  }),
  recordingScenario({
    name: 'otrf-covenant-dcom-new-binary',
    summary:
      'The grunt GruntHTTP.exe on WORKSTATION5 copies a hijacking iertutil.dll to WORKSTATION6 over SMB and activates ' +
      'InternetExplorer.Application there over DCOM (received 22:30:41.9 to 22:30:42.4 by WORKSTATION6\'s network clock). The SOC, ' +
      'whose telemetry holds none of that grunt\'s C2 traffic, isolates WORKSTATION5 (blocks 172.18.39.5) at 22:30:43. On ' +
      'WORKSTATION6, the DCOM-launched iexplore.exe (parent svchost.exe, -Embedding) loads the DLL and starts notepad.exe, which ' +
      'never ran on any host before and connects to 10.10.10.5:80 (22:30:43.6): an address the lab\'s hosts, WORKSTATION6 ' +
      'included, contacted on earlier days, and which is not blocked. WORKSTATION6\'s Sysmon network times run ~10 s behind its ' +
      'process creations (notepad.exe is logged as created at 22:30:52.9); the block is placed on its network clock. The watch covers ' +
      'WORKSTATION6; WORKSTATION5 (isolated, clock 9 s ahead) is left out',
    recording: 'covenant_dcom_iertutil_dll_hijack',
    blocked: [{ type: 'ip', value: WS5.ip }],
    blockedAt: '2020-10-09T22:30:43Z',
    duration: '131s',
    hosts: [WS6],
    attack: [
      { host: 'WORKSTATION5', image: 'GruntHTTP.exe' },
      { host: 'WORKSTATION5', dst: WS6.ip, from: '2020-10-09T22:30:30Z', to: '2020-10-09T22:30:54Z' },
      // The processes the attacker's DCOM activation started on WORKSTATION6: ielowutil.exe, both iexplore.exe, notepad.exe.
      { host: 'WORKSTATION6', pid: 7496 },
      { host: 'WORKSTATION6', pid: 9428 },
      { host: 'WORKSTATION6', pid: 7304 },
      { host: 'WORKSTATION6', pid: 3532 },
    ],
    findings: [
      {
        host: 'WORKSTATION6',
        process: 'notepad.exe',
        dst: { ip: C2, port: 80 },
        protocol: 'tcp',
        minSeverity: 'high',
        kinds: [],
        fact:
          'notepad.exe, a binary that normally makes no connection and never ran on any baseline host, started after the block by the ' +
          'DCOM-launched iexplore.exe, connects to 10.10.10.5:80 over HTTP',
      },
    ],
    verdict: 'breached',
    because: 'the new implant on WORKSTATION6 reached its C2 through an address the block does not cover',
  }),
  recordingScenario({
    name: 'otrf-covenant-psremoting-new-process',
    summary:
      'Another lab (shire.com, December 2019; no earlier day: the baseline is the recording\'s own 40 s before the block). The ' +
      'grunt on IT001 opens PowerShell remoting to HR001 (WinRM 5985, 01:50:04 to 01:50:06). The SOC, whose telemetry holds none ' +
      'of that grunt\'s C2 traffic, isolates IT001 (blocks 172.18.39.105) at 01:50:07.0. On HR001, wsmprovhost.exe then starts a ' +
      'hidden powershell.exe loader (01:50:07.5) that calls the C2 at 172.18.39.8:80 (01:50:07.9), which is not blocked. The watch ' +
      'covers the three other workstations; IT001 (isolated) is left out',
    recording: 'covenant_psremoting_grunt',
    baseline: [],
    blocked: [{ type: 'ip', value: '172.18.39.105' }],
    blockedAt: '2019-12-05T01:50:07Z',
    duration: '297s',
    hosts: [
      { hostname: 'HR001', ip: '172.18.39.106' },
      { hostname: 'ACCT001', ip: '172.18.39.100' },
      { hostname: 'FILE001', ip: '172.18.39.103' },
    ],
    settings: { networks: { internal: ['172.18.0.0/16'], resolvers: ['172.18.39.5'] } },
    c2: '172.18.39.8',
    attack: [{ host: 'IT001', image: 'powershell.exe', dst: '172.18.39.106', ports: [5985] }],
    findings: [
      {
        host: 'HR001',
        process: 'powershell.exe',
        dst: { ip: '172.18.39.8', port: 80 },
        protocol: 'tcp',
        minSeverity: 'high',
        kinds: [],
        fact:
          'a process first executed after the block by wsmprovhost.exe (PowerShell remoting), running a hidden in-memory loader, ' +
          'calls 172.18.39.8:80 over HTTP, an address no host contacted before',
      },
    ],
    verdict: 'breached',
    because: 'the new grunt on HR001 reached its C2 through an address the block does not cover',
  }),
];
