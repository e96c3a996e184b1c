import type { ConnectionEvent } from '../../contracts/connection-event.js';
import { optional, utcTime } from './fields.js';
import { parentFields } from './windows-connection.js';
import { securityEventTime, type WindowsRecord } from './windows-record.js';

/** What Sysmon Event ID 1 (process create) tells about a process that a network event lacks. */
export type ProcessDetails = Pick<
  NonNullable<ConnectionEvent['process']>,
  'cmd_line' | 'sha1' | 'sha256' | 'parent_name' | 'parent_path' | 'started_at' | 'user'
>;

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
    this.byGuid.set(guid, {
      ...parseHashes(event.get('Hashes')),
      ...optional('cmd_line', event.get('CommandLine')),
      ...parentFields(event),
      // Event ID 1 is written as the process starts: its time is the start time.
      ...optional('started_at', utcTime(event.get('UtcTime')) ?? securityEventTime(event)),
      ...optional('user', event.get('User')),
    });
  }

  get(guid: string | undefined): ProcessDetails | undefined {
    return guid === undefined ? undefined : this.byGuid.get(guid.toLowerCase());
  }
}
