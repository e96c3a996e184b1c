import type { Flow } from './flow.js';
import { processOn, type ProcessImage } from './hosts.js';
import type { SimDestination, SimHost, SimProcess } from './types.js';

export const BLOCKED_C2: SimDestination = { ip: '203.0.113.7', port: 443 };
export const FALLBACK_C2: SimDestination = { ip: '192.0.2.44', port: 8443 };
export const DEFAULT_FALLBACK_AFTER_MS = 20_000;

/** The implant was beaconing this long before the SOAR blocked its C2. */
const IMPLANT_AGE_MS = 6 * 3_600_000;
/** The macro's powershell started this long before its first beacon; rundll32 this long before its first connection. */
const POWERSHELL_LEAD_MS = 40_000;
const RUNDLL32_LEAD_MS = 2_000;

/** The fallback implant: a rundll32 that the powershell starts just before the fallback channel opens. */
export const fallbackProcess = (host: SimHost, fallbackAt: number): SimProcess => processOn(host, RUNDLL32, fallbackAt - RUNDLL32_LEAD_MS);

const POWERSHELL: ProcessImage = {
  name: 'powershell.exe',
  path: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
  cmd_line: 'powershell.exe -nop -w hidden -ep bypass -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA',
  parent: 'WINWORD.EXE',
  parent_path: 'C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE',
  company: 'Microsoft Corporation',
  system: false,
};

export const RUNDLL32: ProcessImage = {
  name: 'rundll32.exe',
  path: 'C:\\Windows\\System32\\rundll32.exe',
  cmd_line: 'rundll32.exe',
  parent: 'powershell.exe',
  parent_path: POWERSHELL.path,
  company: 'Microsoft Corporation',
  system: false,
};

/**
 * The implant on one host: powershell beaconing to the C2 until the block, then retrying it in vain every
 * few seconds, and from `fallbackAt` a rundll32 with no arguments reaching a new IP on 8443.
 */
export function fallbackFlows(host: SimHost, blockedAt: number, fallbackAt: number): Flow[] {
  const powershell = processOn(host, POWERSHELL, blockedAt - IMPLANT_AGE_MS - POWERSHELL_LEAD_MS);
  return [
    {
      key: `${host.hostname}:c2-beacon`,
      host,
      process: powershell,
      protocol: 'tcp',
      outcome: 'success',
      periodMs: 60_000,
      jitter: 0.1,
      activeFrom: blockedAt - IMPLANT_AGE_MS,
      activeTo: blockedAt,
      destination: () => BLOCKED_C2,
    },
    {
      key: `${host.hostname}:c2-retry`,
      host,
      process: powershell,
      protocol: 'tcp',
      outcome: 'failure',
      periodMs: 5_000,
      jitter: 0.2,
      activeFrom: blockedAt,
      destination: () => BLOCKED_C2,
    },
    {
      key: `${host.hostname}:c2-fallback`,
      host,
      process: fallbackProcess(host, fallbackAt),
      protocol: 'tcp',
      outcome: 'success',
      periodMs: 7_000,
      jitter: 0.15,
      activeFrom: fallbackAt,
      destination: () => FALLBACK_C2,
    },
  ];
}
