import type { ConnectionEvent } from '../../contracts/connection-event.js';
import { integer, optional } from './fields.js';
import { positionId, recordError, type RecordPosition } from './record-reader.js';
import { endpointsOf, processFields, socketKey, type PendingConnection } from './windows-connection.js';
import { securityEventTime, type WindowsRecord } from './windows-record.js';

export const WFP_SOURCE = 'wfp';

const IANA_PROTOCOLS: ReadonlyMap<string, string> = new Map([
  ['1', 'icmp'],
  ['6', 'tcp'],
  ['17', 'udp'],
  ['58', 'icmpv6'],
]);

/** `\device\harddiskvolume2\windows\...` as a drive path. The volume-to-letter map is not in the log: C: is assumed. */
export function drivePath(path: string): string {
  return path.replace(/^\\device\\harddiskvolume\d+\\/i, 'C:\\');
}

/**
 * WFP filters ICMP by type as the local port and by code as the remote port: on an outbound message, the source
 * port and the destination port. Which side an inbound event names source is not documented, so it gets none.
 */
function icmpOf(ends: { srcPort: number | undefined; dstPort: number | undefined }): ConnectionEvent['icmp'] {
  const { srcPort: type, dstPort: code } = ends;
  if (type === undefined || type > 255) return undefined;
  return { type, ...optional('code', code !== undefined && code <= 255 ? code : undefined) };
}

/** Security 5156 (the Windows Filtering Platform permitted a connection) or 5157 (it blocked one). */
export function wfpConnection(event: WindowsRecord, at: RecordPosition, blocked: boolean): PendingConnection {
  const time = securityEventTime(event);
  if (time === undefined) throw recordError(at, 'EventTime / @timestamp: missing or not a date-time');
  const ends = endpointsOf(event, at, ['SourceAddress', 'SourcePort', 'DestAddress', 'DestPort']);
  const rawProtocol = event.get('Protocol') ?? '';
  const protocol = IANA_PROTOCOLS.get(rawProtocol) ?? (rawProtocol.toLowerCase() || 'unknown');
  const icmp = protocol.startsWith('icmp');
  const direction = event.get('Direction')?.toLowerCase();
  const outbound = direction === '%%14593' || direction === 'outbound';
  const inbound = direction === '%%14592' || direction === 'inbound';
  const application = event.get('Application');
  const pid = integer(event.get('ProcessId') ?? event.get('ProcessID'));
  const computer = event.computer;
  return {
    event: {
      id: event.recordId === undefined || computer === undefined ? positionId(at) : `wfp:${computer}:${event.recordId}`,
      source: WFP_SOURCE,
      time,
      device: { ...optional('hostname', computer), ...optional('ip', outbound ? ends.srcIp : undefined) },
      process: {
        ...processFields(application === undefined ? undefined : drivePath(application)),
        ...optional('pid', typeof pid === 'number' ? pid : undefined),
      },
      // For ICMP, WFP's ports are the message type and code.
      src_endpoint: { ...optional('ip', ends.srcIp), ...optional('port', icmp ? undefined : ends.srcPort) },
      dst_endpoint: { ...optional('ip', ends.dstIp), ...optional('port', icmp ? undefined : ends.dstPort) },
      protocol,
      ...optional('icmp', icmp && outbound ? icmpOf(ends) : undefined),
      direction: outbound ? 'outbound' : inbound ? 'inbound' : 'unknown',
      // 5156 says only that the local filter let it pass; 5157 that it stopped it.
      outcome: blocked ? 'blocked' : 'unknown',
    },
    socket: socketKey(computer, protocol, ends),
    guid: undefined,
  };
}
