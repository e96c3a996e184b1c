import { fileName } from './fields.js';
import type { WindowsRecord } from './windows-record.js';

/** What Sysmon Event ID 1 (process create) tells about a process that a network event lacks. */
export interface ProcessDetails {
  cmd_line?: string;
  sha1?: string;
  sha256?: string;
  parent_name?: string;
  user?: string;
}

/** Sysmon's `Hashes`: "SHA1=...,MD5=...,SHA256=...,IMPHASH=..." (which ones depends on the configuration). */
export function parseHashes(hashes: string | undefined): { sha1?: string; sha256?: string } {
  const found: { sha1?: string; sha256?: string } = {};
  for (const part of (hashes ?? '').split(',')) {
    const equals = part.indexOf('=');
    if (equals === -1) continue;
    const algorithm = part.slice(0, equals).trim().toUpperCase();
    const value = part.slice(equals + 1).trim().toLowerCase();
    if (algorithm === 'SHA1' && /^[0-9a-f]{40}$/.test(value)) found.sha1 = value;
    if (algorithm === 'SHA256' && /^[0-9a-f]{64}$/.test(value)) found.sha256 = value;
  }
  return found;
}

/**
 * Process creations by ProcessGuid, shared by every input of a run, so a connection in one file is joined with the
 * process creation recorded in an earlier one (another day of the same host).
 */
export class SysmonProcesses {
  private readonly byGuid = new Map<string, ProcessDetails>();

  add(event: WindowsRecord): void {
    const guid = event.get('ProcessGuid')?.toLowerCase();
    if (guid === undefined) return;
    const parent = event.get('ParentImage');
    const details: ProcessDetails = { ...parseHashes(event.get('Hashes')) };
    const cmdLine = event.get('CommandLine');
    const user = event.get('User');
    if (cmdLine !== undefined) details.cmd_line = cmdLine;
    if (parent !== undefined) details.parent_name = fileName(parent);
    if (user !== undefined) details.user = user;
    this.byGuid.set(guid, details);
  }

  get(guid: string | undefined): ProcessDetails | undefined {
    return guid === undefined ? undefined : this.byGuid.get(guid.toLowerCase());
  }
}
