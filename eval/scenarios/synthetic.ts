import type { ConnectionEvent } from '../../src/contracts/connection-event.js';
import { HOUR, MINUTE } from '../generate/flow.js';
import { IMAGES } from '../generate/images.js';
import {
  BLOCKED_C2,
  POWERSHELL_IMPLANT,
  RENAMED_RUNDLL32,
  blockedRetries,
  dnsTunnel,
  fallback8443,
  icmpTunnel,
  preBlockBeacon,
  slowBeacon,
} from '../generate/implant.js';
import type { ExpectedFinding, Scenario, TelemetryFormat } from '../scenario.js';
import { BLOCKED_AT, ESTATE_SETTINGS, office, officeEvents, type Office } from './office.js';

/** Every address the synthetic implants talk to: their connections are the attack, everything else is benign. */
const ATTACK_ADDRESSES = new Set([BLOCKED_C2.ip, '192.0.2.44', '198.51.100.53', '198.51.100.99', '45.77.23.198']);
const isAttack = (event: ConnectionEvent) => event.dst_endpoint.ip !== undefined && ATTACK_ADDRESSES.has(event.dst_endpoint.ip);

function syntheticScenario(options: {
  name: string;
  summary: string;
  windowMs: number;
  format: TelemetryFormat;
  office: Office;
  findings: (victim: Office['victim']) => ExpectedFinding[];
  verdict: Scenario['expected']['verdict'];
  because: string;
}): Scenario {
  const { office: site, windowMs } = options;
  return {
    name: options.name,
    summary: options.summary,
    data: 'synthetic',
    request: {
      incident_id: `EVAL-${options.name}`,
      title: options.summary,
      blocked: [{ type: 'ip', value: BLOCKED_C2.ip }],
      blocked_at: new Date(BLOCKED_AT).toISOString(),
      hosts: site.hosts,
      watch: { duration: `${windowMs / MINUTE}m` },
    },
    settings: ESTATE_SETTINGS,
    telemetry: () => [{ role: 'events', name: `office.${extensionOf(options.format)}`, format: options.format, events: officeEvents(site.flows, windowMs) }],
    isAttack,
    expected: { findings: options.findings(site.victim), verdict: options.verdict, because: options.because },
  };
}

function extensionOf(format: TelemetryFormat): string {
  return format === 'mde-csv' ? 'csv' : format === 'mde-json' ? 'json' : 'jsonl';
}

const retryFinding = (victim: Office['victim']): ExpectedFinding => ({
  host: victim.hostname,
  process: 'powershell.exe',
  dst: { ip: BLOCKED_C2.ip, port: 443 },
  protocol: 'tcp',
  minSeverity: 'high',
  kinds: ['blocked_retry'],
  fact: 'the PowerShell implant keeps calling the blocked C2 on 443 every 30 s after the block',
});

const TWO_HOURS = 2 * HOUR;

export const SYNTHETIC_SCENARIOS: Scenario[] = [
  syntheticScenario({
    name: 'https-8443-renamed-binary',
    summary: 'After the block, a renamed rundll32 in C:\\Users\\Public calls a new address over HTTPS on 8443 (MDE CSV export)',
    windowMs: TWO_HOURS,
    format: 'mde-csv',
    office: office(TWO_HOURS, (victim) => [
      preBlockBeacon(victim, POWERSHELL_IMPLANT, BLOCKED_AT),
      blockedRetries(victim, POWERSHELL_IMPLANT, BLOCKED_AT, BLOCKED_AT + 10 * MINUTE),
      fallback8443(victim, RENAMED_RUNDLL32, BLOCKED_AT + 3 * MINUTE),
    ]),
    findings: (victim) => [
      retryFinding(victim),
      {
        host: victim.hostname,
        process: 'OneDriveStandaloneUpdate.exe',
        dst: { ip: '192.0.2.44', port: 8443 },
        protocol: 'tcp',
        minSeverity: 'high',
        kinds: ['quiet_process', 'uncommon_port', 'new_destination'],
        fact: 'rundll32.exe copied to C:\\Users\\Public\\Libraries under another name calls an address no host used, on 8443, 3 min after the block',
      },
    ],
    verdict: 'breached',
    because: 'a channel other than the blocked one opened and connected',
  }),
  syntheticScenario({
    name: 'retry-only',
    summary: 'The implant only retries the blocked address, every 30 s, and the firewall drops it (MDE Graph JSON export)',
    windowMs: TWO_HOURS,
    format: 'mde-json',
    office: office(TWO_HOURS, (victim) => [
      preBlockBeacon(victim, POWERSHELL_IMPLANT, BLOCKED_AT),
      blockedRetries(victim, POWERSHELL_IMPLANT, BLOCKED_AT, BLOCKED_AT + TWO_HOURS),
    ]),
    findings: (victim) => [retryFinding(victim)],
    verdict: 'held',
    because: 'every attempt went to the blocked address and was dropped; no other channel',
  }),
  syntheticScenario({
    name: 'dns-tunnel',
    summary: 'DNS tunnelling: queries every 4 s straight to an outside resolver instead of the domain controllers (Zeek conn.log)',
    windowMs: TWO_HOURS,
    format: 'zeek-conn',
    office: office(TWO_HOURS, (victim) => [
      preBlockBeacon(victim, POWERSHELL_IMPLANT, BLOCKED_AT),
      dnsTunnel(victim, POWERSHELL_IMPLANT, BLOCKED_AT + 2 * MINUTE),
    ]),
    findings: (victim) => [
      {
        host: victim.hostname,
        dst: { ip: '198.51.100.53', port: 53 },
        protocol: 'udp',
        minSeverity: 'medium',
        kinds: ['protocol_shift'],
        fact: 'DNS every 4 s straight to an outside resolver, not to the domain controllers the estate resolves through',
      },
    ],
    verdict: 'breached',
    because: 'the DNS tunnel is a channel other than the blocked one',
  }),
  syntheticScenario({
    name: 'icmp-tunnel',
    summary: 'ICMP tunnel: kilobyte echo requests every 5 s to one outside address (Zeek conn.log)',
    windowMs: TWO_HOURS,
    format: 'zeek-conn',
    office: office(TWO_HOURS, (victim) => [
      preBlockBeacon(victim, POWERSHELL_IMPLANT, BLOCKED_AT),
      icmpTunnel(victim, POWERSHELL_IMPLANT, BLOCKED_AT + 2 * MINUTE),
    ]),
    findings: (victim) => [
      {
        host: victim.hostname,
        dst: { ip: '198.51.100.99' },
        protocol: 'icmp',
        minSeverity: 'medium',
        kinds: ['protocol_shift'],
        fact: 'kilobyte ICMP echo requests every 5 s to one outside address',
      },
    ],
    verdict: 'breached',
    because: 'the ICMP tunnel is a channel other than the blocked one',
  }),
  syntheticScenario({
    name: 'slow-jittered-beacon',
    summary: 'A beacon every 20 min (up to 5 min late) from svchost.exe to a new address on 443, over 24 h (Sysmon via winlogbeat)',
    windowMs: 24 * HOUR,
    format: 'sysmon-winlogbeat',
    office: office(24 * HOUR, (victim) => [preBlockBeacon(victim, POWERSHELL_IMPLANT, BLOCKED_AT), slowBeacon(victim, IMAGES.wuauserv, BLOCKED_AT + 5 * MINUTE)]),
    findings: (victim) => [
      {
        host: victim.hostname,
        process: 'svchost.exe',
        dst: { ip: '45.77.23.198', port: 443 },
        protocol: 'tcp',
        minSeverity: 'medium',
        kinds: ['beaconing'],
        fact: 'svchost.exe calls an address no host used every 20 min (up to 5 min late) for 24 h after the block',
      },
    ],
    verdict: 'breached',
    because: 'the beacon is a channel other than the blocked one',
  }),
];
