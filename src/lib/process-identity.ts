/**
 * How the detector and the baseline name a process: by lower-cased image path, else by image name. Version numbers
 * in the folders of the path are left out, so a product that updates itself into a new versioned folder
 * (`...\slack\app-4.42.117\slack.exe`, `...\Defender\Platform\4.18.24090.11-0\MsMpEng.exe`) keeps its history;
 * its new hash is still new (`quiet_process` weighs it).
 */

/** The file name of a Windows or POSIX path ("rundll32.exe" of "C:\Windows\System32\rundll32.exe"). */
export function basename(path: string): string {
  const cut = Math.max(path.lastIndexOf('\\'), path.lastIndexOf('/'));
  return cut === -1 ? path : path.slice(cut + 1);
}

/** A dotted version of three or more parts, inside a folder name. */
const VERSION = /\d+(?:\.\d+){2,}/g;

/** A lower-cased path with the versions in its folder names replaced by `*`; the file name is kept as it is. */
export function versionlessPath(lowerPath: string): string {
  const cut = Math.max(lowerPath.lastIndexOf('\\'), lowerPath.lastIndexOf('/'));
  if (cut === -1) return lowerPath;
  return lowerPath.slice(0, cut).replace(VERSION, '*') + lowerPath.slice(cut);
}

/** Versionless lower-cased path, else lower-cased name, else "" (firewall telemetry has no process). */
export function processKey(path: string | undefined, name: string | undefined): string {
  if (path !== undefined && path !== '') return versionlessPath(path.toLowerCase());
  if (name !== undefined && name !== '') return name.toLowerCase();
  return '';
}

/**
 * True when a command line is only the image itself, quoted or not ("rundll32.exe", "\"C:\...\rundll32.exe\" ").
 * Undefined command lines are unknown, not empty: most network telemetry carries none.
 */
export function hasNoArguments(cmdLine: string | undefined): boolean {
  if (cmdLine === undefined) return false;
  const text = cmdLine.trim();
  if (text === '') return false;
  let end: number;
  if (text.charCodeAt(0) === 34) {
    const close = text.indexOf('"', 1);
    if (close === -1) return true;
    end = close + 1;
  } else {
    end = text.search(/\s/);
    if (end === -1) return true;
  }
  return text.slice(end).trim() === '';
}
