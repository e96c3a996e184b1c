/**
 * Windows binaries that normally make no network connections (reference/detection.md section 3). The weight is a
 * prior in [0, 1] that strengthens `quiet_process`; it never decides alone, because the per-host history is what
 * separates SCCM's mshta from an implant's.
 */
export interface LolbinInfo {
  /** How unusual a network connection from it is, 0-1. */
  readonly weight: number;
  /** Started without arguments it is a classic injection host (Cobalt Strike spawn-to, NOBELIUM dllhost). */
  readonly noArgsSuspicious: boolean;
}

const NONE_EXPECTED = 0.6;
const RARE = 0.5;
const SOMETIMES = 0.4;
const ADMIN_TOOL = 0.3;
const SYNCS = 0.15;
const SHELL = 0.2;

const TABLE: ReadonlyArray<readonly [weight: number, noArgs: boolean, names: readonly string[]]> = [
  [RARE, true, ['rundll32.exe', 'regsvr32.exe']],
  [ADMIN_TOOL, true, ['dllhost.exe']],
  [SOMETIMES, true, ['gpupdate.exe', 'searchprotocolhost.exe']],
  [NONE_EXPECTED, false, ['mshta.exe', 'installutil.exe', 'scrcons.exe', 'notepad.exe', 'wordpad.exe']],
  [RARE, false, ['msbuild.exe', 'certutil.exe', 'regasm.exe', 'regsvcs.exe', 'hh.exe', 'winlogon.exe']],
  [SOMETIMES, false, ['wmic.exe', 'bitsadmin.exe', 'wscript.exe', 'cscript.exe']],
  [ADMIN_TOOL, false, ['msiexec.exe', 'ftp.exe', 'netsh.exe']],
  [
    NONE_EXPECTED,
    false,
    [
      'cmstp.exe', 'odbcconf.exe', 'xwizard.exe', 'ieexec.exe', 'iexpress.exe', 'bginfo.exe', 'cdb.exe', 'csi.exe',
      'rcsi.exe', 'dnx.exe', 'fsi.exe', 'msdt.exe', 'msxsl.exe', 'control.exe', 'microsoft.workflow.compiler.exe',
      'expand.exe', 'extrac32.exe', 'makecab.exe', 'eqnedt32.exe', 'addinutil.exe', 'dialer.exe', 'finger.exe',
      'imewdbld.exe', 'mobsync.exe',
    ],
  ],
  [
    ADMIN_TOOL,
    false,
    [
      'at.exe', 'atbroker.exe', 'forfiles.exe', 'pcalua.exe', 'pcwrun.exe', 'presentationhost.exe', 'runonce.exe',
      'schtasks.exe', 'syncappvpublishingserver.exe', 'verclsid.exe', 'infdefaultinstall.exe', 'wab.exe',
      'mavinject.exe', 'diskshadow.exe', 'dnscmd.exe', 'gpscript.exe', 'stordiag.exe', 'ttdinject.exe',
      'tttracer.exe', 'ie4uinit.exe', 'extexport.exe', 'register-cimprovider.exe', 'runscripthelper.exe',
      'scriptrunner.exe', 'offlinescannershell.exe', 'rasautou.exe', 'pnputil.exe', 'certoc.exe', 'bash.exe',
      'msconfig.exe',
    ],
  ],
  [SYNCS, false, ['wuauclt.exe', 'settingsynchost.exe', 'workfolders.exe']],
  [SHELL, false, ['powershell.exe', 'pwsh.exe', 'cmd.exe']],
];

const LOLBINS: ReadonlyMap<string, LolbinInfo> = new Map(
  TABLE.flatMap(([weight, noArgsSuspicious, names]) => names.map((name) => [name, { weight, noArgsSuspicious }] as const)),
);

/** The LOLBin entry for a lower-case image file name ("rundll32.exe"), if it is one. */
export function lolbinInfo(lowerExe: string | undefined): LolbinInfo | undefined {
  return lowerExe === undefined ? undefined : LOLBINS.get(lowerExe);
}

/**
 * Folders any user can write to, or where Windows binaries never live: an image there that talks to the
 * network is a dropped payload far more often than an installed product (installers put products under Program
 * Files or AppData, never on the Desktop or in Downloads). Lower case, matched as substrings.
 */
export const USER_WRITABLE_PATH_FRAGMENTS: readonly string[] = [
  '\\users\\public\\',
  '\\temp\\',
  '\\perflogs\\',
  '$recycle.bin',
  '\\windows\\tasks\\',
  '\\windows\\system32\\tasks\\',
  '\\windows\\fonts\\',
  '\\windows\\ime\\',
  '\\windows\\addins\\',
  '\\users\\default\\',
  'config\\systemprofile',
  '\\contacts\\',
  '\\favorites\\',
  '\\music\\',
  '\\pictures\\',
  '\\videos\\',
  '\\desktop\\',
  '\\downloads\\',
];

/** The suspicious folder fragment in a lower-case image path, if any. */
export function userWritableFragment(lowerPath: string | undefined): string | undefined {
  if (lowerPath === undefined) return undefined;
  for (const fragment of USER_WRITABLE_PATH_FRAGMENTS) if (lowerPath.includes(fragment)) return fragment;
  return undefined;
}

/**
 * Folders Windows and installers own: only an administrator or an installer writes there. The Windows folder's own
 * root and its Temp, Tasks or Fonts subfolders are not among them: PsExec's service and dropped payloads land there.
 */
const INSTALLED_FOLDERS = [
  'c:\\windows\\system32\\',
  'c:\\windows\\syswow64\\',
  'c:\\windows\\winsxs\\',
  'c:\\windows\\servicing\\',
  'c:\\windows\\microsoft.net\\',
  'c:\\windows\\adws\\',
  'c:\\program files\\',
  'c:\\program files (x86)\\',
  'c:\\programdata\\microsoft\\windows defender\\',
];
const INSTALLED_IMAGES = new Set(['c:\\windows\\explorer.exe']);

/** True when a lower-case image path is installed by Windows or an installer, and not in a user-writable folder under it. */
export function isInstalledImage(lowerPath: string): boolean {
  if (INSTALLED_IMAGES.has(lowerPath)) return true;
  return INSTALLED_FOLDERS.some((folder) => lowerPath.startsWith(folder)) && userWritableFragment(lowerPath) === undefined;
}
