import type { SimConnection } from '../../../dev/scenario/index.js';
import { hash32 } from '../../../dev/scenario/stable-hash.js';

/** A `DeviceNetworkEvents` row as Graph serialises it. */
export type MdeRow = Record<string, string | number>;

/** The columns the fake serves, with the types Graph names in `schema`. */
export const MDE_COLUMNS = [
  { name: 'Timestamp', type: 'DateTime' },
  { name: 'DeviceId', type: 'String' },
  { name: 'DeviceName', type: 'String' },
  { name: 'ActionType', type: 'String' },
  { name: 'RemoteIP', type: 'String' },
  { name: 'RemotePort', type: 'Int32' },
  { name: 'RemoteUrl', type: 'String' },
  { name: 'LocalIP', type: 'String' },
  { name: 'LocalPort', type: 'Int32' },
  { name: 'Protocol', type: 'String' },
  { name: 'InitiatingProcessFileName', type: 'String' },
  { name: 'InitiatingProcessFolderPath', type: 'String' },
  { name: 'InitiatingProcessCommandLine', type: 'String' },
  { name: 'InitiatingProcessSHA1', type: 'String' },
  { name: 'InitiatingProcessSHA256', type: 'String' },
  { name: 'InitiatingProcessId', type: 'Int64' },
  { name: 'InitiatingProcessAccountDomain', type: 'String' },
  { name: 'InitiatingProcessAccountName', type: 'String' },
  { name: 'InitiatingProcessCreationTime', type: 'DateTime' },
  { name: 'InitiatingProcessParentFileName', type: 'String' },
  { name: 'InitiatingProcessVersionInfoCompanyName', type: 'String' },
  { name: 'ReportId', type: 'Int64' },
] as const;

export const columnType = (name: string): string => MDE_COLUMNS.find((column) => column.name === name)?.type ?? 'String';

const TICKS_PER_MS = 10_000n;
const DATETIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,7}))?Z$/;

/** A UTC ISO datetime as 100 ns ticks since the epoch, Kusto's datetime resolution. */
export function toTicks(text: string): bigint {
  const match = DATETIME.exec(text);
  if (!match) throw new RangeError(`not a UTC datetime: ${text}`);
  const seconds = Date.parse(`${match[1]}Z`);
  return BigInt(seconds) * TICKS_PER_MS + BigInt((match[2] ?? '').padEnd(7, '0'));
}

/** MDE's timestamp form: 7 fractional digits and Z. */
export function fromTicks(ticks: bigint): string {
  const ms = ticks / TICKS_PER_MS;
  const fraction = (ticks % 10_000_000n).toString().padStart(7, '0');
  return `${new Date(Number(ms)).toISOString().slice(0, 19)}.${fraction}Z`;
}

/** Splits DOMAIN\name the way MDE stores it: lower-case domain, name as is. */
function account(user: string): { domain: string; name: string } {
  const slash = user.indexOf('\\');
  return slash === -1 ? { domain: '', name: user } : { domain: user.slice(0, slash).toLowerCase(), name: user.slice(slash + 1) };
}

export interface StoredRow {
  ticks: bigint;
  row: MdeRow;
}

/**
 * How MDE would report a simulated connection. Sub-millisecond digits and the ReportId come from the
 * event id, so the same event always has the same row.
 */
export function toMdeRow(connection: SimConnection): StoredRow {
  const seed = hash32(connection.id);
  const ticks = BigInt(connection.time) * TICKS_PER_MS + BigInt(seed % 10_000);
  const { domain, name } = account(connection.process.user);
  const started = connection.process.started_at;
  return {
    ticks,
    row: {
      Timestamp: fromTicks(ticks),
      DeviceId: connection.host.device_id,
      DeviceName: connection.host.fqdn,
      ActionType: connection.outcome === 'success' ? 'ConnectionSuccess' : 'ConnectionFailed',
      RemoteIP: connection.dst.ip,
      RemotePort: connection.dst.port,
      RemoteUrl: connection.dst.hostname ?? '',
      LocalIP: connection.host.ip,
      LocalPort: 49_152 + (seed % 16_000),
      Protocol: connection.protocol === 'tcp' ? 'Tcp' : 'Udp',
      InitiatingProcessFileName: connection.process.name,
      InitiatingProcessFolderPath: connection.process.path,
      InitiatingProcessCommandLine: connection.process.cmd_line,
      InitiatingProcessSHA1: connection.process.sha1,
      // "Usually not populated" per the table reference.
      InitiatingProcessSHA256: '',
      InitiatingProcessId: connection.process.pid,
      InitiatingProcessAccountDomain: domain,
      InitiatingProcessAccountName: name,
      // A datetime like Timestamp; the sub-millisecond digits come from the process, so every event of it agrees.
      ...(started === undefined ? {} : { InitiatingProcessCreationTime: fromTicks(BigInt(started) * TICKS_PER_MS + BigInt(hash32(`start:${connection.process.path}:${started}`) % 10_000)) }),
      InitiatingProcessParentFileName: connection.process.parent,
      InitiatingProcessVersionInfoCompanyName: connection.process.company ?? '',
      ReportId: 1 + (hash32(`report:${connection.id}`) % 2_000_000_000),
    },
  };
}
