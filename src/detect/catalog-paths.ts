/** Install locations the built-in catalog names binaries by. Paths assume the system drive is C:. */

export const PROGRAM_FILES = 'C:\\Program Files';
export const PROGRAM_FILES_X86 = 'C:\\Program Files (x86)';
export const SYSTEM32 = 'C:\\Windows\\System32';
export const SYSWOW64 = 'C:\\Windows\\SysWOW64';
/**
 * Per-user installs (Teams classic, Zoom, OneDrive) live under each profile. `*` also crosses `\`, so these paths
 * trust whatever sits at that spot in any profile: every such entry is limited to the product's own ports.
 */
export const USER_PROFILES = 'C:\\Users\\*';

export const WEB_PORTS = [80, 443];

export const inBothProgramFiles = (relative: string): string[] => [
  `${PROGRAM_FILES}\\${relative}`,
  `${PROGRAM_FILES_X86}\\${relative}`,
];

/** The 64-bit and the 32-bit copy of a Windows binary. */
export const inSystemFolders = (exe: string): string[] => [`${SYSTEM32}\\${exe}`, `${SYSWOW64}\\${exe}`];
