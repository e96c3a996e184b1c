import type { BaselineEntry, ConnectionEvent } from '../../contracts/connection-event.js';
import type { SourcePrevalence } from '../../contracts/prevalence.js';
import { basename } from '../../lib/process-identity.js';
import type { BaselineRow, DestinationPrevalenceRow, FalconDevice, NetworkEvent, PortPrevalenceRow } from './parse.js';
import type { DeviceRow } from '../event-baseline.js';

const present = (value: string | null | undefined): string | undefined => (value ? value : undefined);
const presentInt = (value: number | null | undefined): number | undefined =>
  value !== null && value !== undefined && Number.isSafeInteger(value) ? value : undefined;
const portOf = (value: number | string | null | undefined): number | undefined =>
  value === null || value === undefined || value === '' ? undefined : presentInt(Number(value));

const IANA_PROTOCOLS: Readonly<Record<string, string>> = { '1': 'icmp', '6': 'tcp', '17': 'udp', '58': 'icmpv6' };

/** Falcon's `Protocol` is the IANA number ("6", "17"); other numbers are kept as they are. */
export function normalizeProtocol(protocol: number | string | null | undefined): string {
  const text = String(protocol ?? '').trim();
  if (text === '') return 'unknown';
  return IANA_PROTOCOLS[text] ?? text.toLowerCase();
}

/** Unset hashes come as all zeros. */
const hash = (value: string | null | undefined): string | undefined => (value && !/^0+$/.test(value) ? value.toLowerCase() : undefined);

/**
 * `ConnectionDirection`: "0" outbound, "1" inbound; other values ("2" neither, "3" both) say nothing usable and
 * are unknown, which the detector still judges. The events read are connects, so an absent value is outbound.
 */
function direction(value: number | string | null | undefined): ConnectionEvent['direction'] {
  const text = String(value ?? '0');
  if (text === '0') return 'outbound';
  return text === '1' ? 'inbound' : 'unknown';
}

/**
 * `ImageFileName` is an NT device path (`\Device\HarddiskVolume3\Windows\...`). It is kept as Falcon reports it:
 * guessing a drive letter would let an allow rule written for `C:\` cover a binary on another volume.
 */
export function toConnectionEvent(sourceId: string, event: NetworkEvent, device: FalconDevice | undefined): ConnectionEvent {
  const path = present(event.ImageFileName);
  const localIp = present(event.LocalAddressIP4) ?? present(event.LocalAddressIP6);
  return {
    id: `falcon:${event.aid.toLowerCase()}:${present(event.id) ?? event['@id']}`,
    source: sourceId,
    time: event['@timestamp'],
    device: { hostname: present(device?.hostname), uid: event.aid.toLowerCase(), ip: localIp ?? present(device?.local_ip) },
    process: {
      // ContextProcessId is Falcon's own process id, not the OS pid; the OS pid comes with the joined process.
      pid: presentInt(event.RawProcessId),
      name: path ? basename(path) : present(event.ContextBaseFileName),
      path,
      cmd_line: present(event.CommandLine),
      sha1: hash(event.SHA1HashData),
      sha256: hash(event.SHA256HashData),
      user: present(event.UserName),
      // Falcon names the parent by file name only; it has no parent path to give.
      parent_name: present(event.ParentBaseFileName),
      started_at: event.ProcessStartTime,
      signer: undefined,
    },
    src_endpoint: { ip: localIp, port: portOf(event.LocalPort) },
    dst_endpoint: { ip: present(event.RemoteAddressIP4) ?? present(event.RemoteAddressIP6), port: portOf(event.RemotePort), hostname: undefined },
    protocol: normalizeProtocol(event.Protocol),
    direction: direction(event.ConnectionDirection),
    // A connect event is the attempt; Falcon does not say whether the peer answered.
    outcome: 'unknown',
  };
}

/** A baseline row with its device as Falcon knows it (aid, and the Hosts API's name and local IP), for attribution. */
export function toBaselineRow(row: BaselineRow, device: FalconDevice | undefined): DeviceRow {
  const aid = row.aid.toLowerCase();
  return { device: { uid: aid, hostname: present(device?.hostname), ip: present(device?.local_ip) }, entry: toBaselineEntry(row, device) };
}

function toBaselineEntry(row: BaselineRow, device: FalconDevice | undefined): BaselineEntry {
  const path = present(row.ImageFileName);
  return {
    host: present(device?.hostname) ?? row.aid.toLowerCase(),
    process_path: path,
    process_name: path ? basename(path) : undefined,
    sha1: hash(row.SHA1HashData),
    dst_ip: present(row.RemoteAddressIP4) ?? present(row.RemoteAddressIP6),
    dst_hostname: undefined,
    dst_port: portOf(row.RemotePort),
    protocol: normalizeProtocol(row.Protocol),
    count: row.EventCount,
    first_seen: row.FirstSeen,
    last_seen: row.LastSeen,
  };
}

/** Protocol and port read as `toConnectionEvent` reads them; the row without a group (no events at all) is left out. */
export function toPortPrevalence(rows: readonly PortPrevalenceRow[]): SourcePrevalence['ports'] {
  return rows.flatMap((row) =>
    row.Hosts === undefined ? [] : [{ protocol: normalizeProtocol(row.Protocol), port: portOf(row.RemotePort) ?? null, hosts: row.Hosts }],
  );
}

export function toDestinationPrevalence(rows: readonly DestinationPrevalenceRow[]): SourcePrevalence['destinations'] {
  return rows.flatMap((row) => {
    const destination = present(row.RemoteAddressIP4) ?? present(row.RemoteAddressIP6);
    return destination === undefined ? [] : [{ destination, hosts: row.Hosts }];
  });
}
