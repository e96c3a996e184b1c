/**
 * What a command line does to hide its payload, as script-host launchers of C2 frameworks write them (Empire's and
 * Covenant's `powershell -noP -sta -w 1 -enc ...`, download cradles, in-memory evaluation). Only traits that ordinary
 * administration rarely needs on a networked process: a bare `-NoProfile` or `-ExecutionPolicy Bypass` is not one.
 */
export type Concealment = 'encoded' | 'hidden' | 'download' | 'in_memory';

const TRAITS: ReadonlyArray<readonly [Concealment, RegExp]> = [
  // -EncodedCommand and every prefix PowerShell accepts for it (-e, -en, -enc, -ec), followed by a base64 blob.
  ['encoded', /(?:^|\s)[-/](?:e|en|enc|enco|encod|encode|encoded|encodedc|encodedco|encodedcom|encodedcomm|encodedcomma|encodedcomman|encodedcommand|ec)\s+[a-z0-9+/=]{20,}/i],
  ['encoded', /frombase64string\s*\(/i],
  ['hidden', /(?:^|\s)[-/]w(?:i|in|ind|indo|indow|indows|indowst|indowsty|indowstyl|indowstyle)?\s+hidden\b/i],
  // WindowStyle 1 is Hidden in PowerShell only; elsewhere "-w 1" is often a wait or a width.
  ['hidden', /\b(?:powershell|pwsh)(?:\.exe)?\b.*\s[-/]w(?:i|in|ind|indo|indow|indows|indowst|indowsty|indowstyl|indowstyle)?\s+1\b/i],
  ['download', /\b(?:downloadstring|downloaddata|downloadfile|net\.webclient|invoke-webrequest|start-bitstransfer)\b/i],
  ['in_memory', /\b(?:iex|invoke-expression)\b/i],
];

/** The concealment traits of a command line, each once, in a fixed order; empty when none or no command line. */
export function concealmentOf(cmdLine: string | undefined): Concealment[] {
  if (cmdLine === undefined || cmdLine === '') return [];
  const found: Concealment[] = [];
  for (const [trait, pattern] of TRAITS) if (!found.includes(trait) && pattern.test(cmdLine)) found.push(trait);
  return found;
}
