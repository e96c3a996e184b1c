import type { ConnectionEvent } from '../../contracts/connection-event.js';
import type { ReadConnection } from '../sighting.js';
import { integer, utcTime } from './fields.js';
import { positionId, recordError, type RecordPosition } from './record-reader.js';
import { endpointsOf, parentFields, processFields, socketKey, type PendingConnection } from './windows-connection.js';
import type { WindowsRecord } from './windows-record.js';

export const SYSMON_SOURCE = 'sysmon';

/**
 * Sysmon Event ID 3 (network connection detected); only its sighting when it happened before `sightingsBefore`.
 * `withSocket` asks for its socket key, which only a log that also holds WFP events needs.
 */
export function sysmonConnection(event: WindowsRecord, at: RecordPosition, withSocket = true, sightingsBefore = Number.NEGATIVE_INFINITY): PendingConnection<ReadConnection> {
  const time = utcTime(event.get('UtcTime')) ?? event.timestamp;
  if (time === undefined) throw recordError(at, 'UtcTime: missing or not a date-time');
  const ends = endpointsOf(event, at, ['SourceIp', 'SourcePort', 'DestinationIp', 'DestinationPort']);
  const protocol = (event.get('Protocol') ?? 'unknown').toLowerCase();
  const initiated = event.get('Initiated')?.toLowerCase();
  const outbound = initiated !== 'false';
  const computer = event.computer;
  const direction = initiated === undefined ? 'unknown' : outbound ? 'outbound' : 'inbound';
  // Field by field, in a fixed order, rather than one object per group of fields spread into it.
  const process: NonNullable<ConnectionEvent['process']> = processFields(event.get('Image'));
  const device: ConnectionEvent['device'] = {};
  if (computer !== undefined) device.hostname = computer;
  if (outbound && ends.srcIp !== undefined) device.ip = ends.srcIp;
  const dst: ConnectionEvent['dst_endpoint'] = {};
  if (ends.dstIp !== undefined) dst.ip = ends.dstIp;
  if (ends.dstPort !== undefined) dst.port = ends.dstPort;
  const dstHostname = event.get('DestinationHostname');
  if (dstHostname !== undefined) dst.hostname = dstHostname;
  const socket = withSocket ? socketKey(computer, protocol, ends) : undefined;
  const guid = event.get('ProcessGuid');
  if (time < sightingsBefore) return { event: { source: SYSMON_SOURCE, time, device, process, dst_endpoint: dst, protocol, direction }, socket, guid };
  const pid = integer(event.get('ProcessId'));
  if (typeof pid === 'number') process.pid = pid;
  const user = event.get('User');
  if (user !== undefined) process.user = user;
  // Event ID 3 names no parent; ECS pipelines that enrich it from the process start do.
  const parent = parentFields(event);
  if (parent.parent_path !== undefined) process.parent_path = parent.parent_path;
  if (parent.parent_name !== undefined) process.parent_name = parent.parent_name;
  const src: NonNullable<ConnectionEvent['src_endpoint']> = {};
  if (ends.srcIp !== undefined) src.ip = ends.srcIp;
  if (ends.srcPort !== undefined) src.port = ends.srcPort;
  return {
    event: {
      id: event.recordId === undefined || computer === undefined ? positionId(at) : `sysmon:${computer}:${event.recordId}`,
      source: SYSMON_SOURCE,
      time,
      device,
      process,
      src_endpoint: src,
      dst_endpoint: dst,
      protocol,
      direction,
      // Sysmon logs that a socket connected or sent; whether the peer answered is not in the event.
      outcome: 'unknown',
    },
    socket,
    guid,
  };
}
