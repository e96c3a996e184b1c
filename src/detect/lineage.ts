import { basename } from '../lib/process-identity.js';
import { isInstalledImage } from './lolbins.js';

/**
 * What the parent of a connecting process says about how it came to run. Lateral-movement tools start their payload
 * through a remote-execution service (PsExec-style services, WMI, WinRM, DCOM), droppers through a script host, an
 * Office document or a browser exploit; Windows starts its own binaries from its service host and session processes
 * (the "normal parent" tables of SANS's Hunt Evil poster and Sysmon-based hunting guides).
 */
export type Lineage = 'remote_execution' | 'service' | 'script_host' | 'office' | 'browser';

/** Parents that run code sent from another host: WMI provider host, WinRM plugin hosts, PsExec's service, DCOM's MMC. */
const REMOTE_EXECUTION = new Set(['wmiprvse.exe', 'wsmprovhost.exe', 'winrshost.exe', 'psexesvc.exe', 'mmc.exe', 'scrcons.exe']);
const SCRIPT_HOSTS = new Set([
  'cmd.exe', 'powershell.exe', 'pwsh.exe', 'powershell_ise.exe', 'wscript.exe', 'cscript.exe', 'mshta.exe', 'rundll32.exe',
  'regsvr32.exe', 'msbuild.exe', 'installutil.exe',
]);
const OFFICE = new Set(['winword.exe', 'excel.exe', 'powerpnt.exe', 'outlook.exe', 'msaccess.exe', 'mspub.exe', 'onenote.exe', 'visio.exe']);
const BROWSERS = new Set(['iexplore.exe', 'msedge.exe', 'microsoftedge.exe', 'microsoftedgecp.exe', 'chrome.exe', 'firefox.exe', 'brave.exe', 'opera.exe']);
const SERVICE_CONTROL = 'services.exe';

/**
 * The kind of parent that started a process, or undefined when the lineage is ordinary or unknown. A child with the
 * parent's own image (browser tabs, a shell in a shell) is not a new lineage. A service whose binary sits outside
 * the folders Windows and installers own (`isInstalledImage`) is how PsExec and its kin run a dropped payload.
 */
export function lineageOf(lowerPath: string | undefined, lowerExe: string | undefined, parent: string | undefined): Lineage | undefined {
  if (parent === undefined || parent === '') return undefined;
  const parentExe = basename(parent.toLowerCase());
  if (lowerExe !== undefined && parentExe === lowerExe) return undefined;
  if (REMOTE_EXECUTION.has(parentExe)) return 'remote_execution';
  if (parentExe === SERVICE_CONTROL) {
    return lowerPath !== undefined && !isInstalledImage(lowerPath) ? 'service' : undefined;
  }
  if (SCRIPT_HOSTS.has(parentExe)) return 'script_host';
  if (OFFICE.has(parentExe)) return 'office';
  if (BROWSERS.has(parentExe)) return lowerExe !== undefined && BROWSERS.has(lowerExe) ? undefined : 'browser';
  return undefined;
}
