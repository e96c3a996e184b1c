import type { SimConnection } from '../../../dev/scenario/index.js';
import { hash32, sha1Hex } from '../../../dev/scenario/stable-hash.js';

/** A Sysmon event as Splunk indexed it: `_time` and `_indextime` (epoch ms) and the extracted fields, all strings. */
export interface IndexedEvent {
  time: number;
  indexTime: number;
  fields: Readonly<Record<string, string>>;
}

export interface IndexLocation {
  index: string;
  sourcetype: string;
}

/** A GUID-looking id, stable per input, in Sysmon's `{8-4-4-4-12}` form. */
function guid(seed: string): string {
  const hex = sha1Hex(seed);
  return `{${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}}`;
}

/**
 * How the Splunk Add-on for Sysmon would index a simulated connection as Event ID 3. Sysmon does not say whether
 * the connection worked, so blocked retries look like any other attempt. EventRecordID is derived from the time
 * and the event id, so the same event always has the same record id.
 */
export function toSysmonEvent(connection: SimConnection, location: IndexLocation, indexTime: number): IndexedEvent {
  const seed = hash32(connection.id);
  return {
    time: connection.time,
    indexTime,
    fields: {
      index: location.index,
      sourcetype: location.sourcetype,
      EventCode: '3',
      Computer: connection.host.fqdn,
      EventRecordID: String(connection.time * 1_000 + (seed % 1_000)),
      ProcessGuid: guid(`${connection.host.fqdn}:${connection.process.pid}:${connection.process.path}`),
      ProcessId: String(connection.process.pid),
      Image: connection.process.path,
      User: connection.process.user,
      Protocol: connection.protocol,
      Initiated: 'true',
      SourceIsIpv6: 'false',
      SourceIp: connection.host.ip,
      SourceHostname: connection.host.fqdn,
      SourcePort: String(49_152 + (seed % 16_000)),
      DestinationIsIpv6: 'false',
      DestinationIp: connection.dst.ip,
      DestinationHostname: connection.dst.hostname ?? '-',
      DestinationPort: String(connection.dst.port),
    },
  };
}
