import type { ConnectionEvent } from '../../contracts/connection-event.js';
import { normalizeIp } from '../../detect/net.js';
import { port } from './fields.js';
import { recordError, type RecordPosition } from './record-reader.js';
import type { WindowsRecord } from './windows-record.js';

/** A connection read from a Windows event, held until the whole log was read (for the join and the de-duplication). */
export interface PendingConnection {
  event: ConnectionEvent;
  /** The socket (host, protocol, both ends) when the event names it fully. */
  socket: string | undefined;
  /** Sysmon's ProcessGuid, to join with its process creation. */
  guid: string | undefined;
}

/** One socket, whichever log wrote it: Sysmon writes IPv6 unabridged, WFP compressed. */
export function socketKey(
  computer: string | undefined,
  protocol: string,
  ends: { srcIp: string | undefined; srcPort: number | undefined; dstIp: string | undefined; dstPort: number | undefined },
): string | undefined {
  const { srcIp, srcPort, dstIp, dstPort } = ends;
  if (!computer || !srcIp || !dstIp) return undefined;
  return `${computer.toLowerCase()}|${protocol}|${normalizeIp(srcIp)}|${srcPort ?? ''}|${normalizeIp(dstIp)}|${dstPort ?? ''}`;
}

/** Both ends of the connection from the event's own field names; a port that is not one names its field. */
export function endpointsOf(event: WindowsRecord, at: RecordPosition, names: readonly [string, string, string, string]) {
  const [srcIpName, srcPortName, dstIpName, dstPortName] = names;
  const srcPort = port(event.get(srcPortName));
  const dstPort = port(event.get(dstPortName));
  if (srcPort === 'invalid') throw recordError(at, `${srcPortName}: not a port number`);
  if (dstPort === 'invalid') throw recordError(at, `${dstPortName}: not a port number`);
  return { srcIp: event.get(srcIpName), srcPort, dstIp: event.get(dstIpName), dstPort };
}

/** "System" (the kernel) and "Registry" have no image path: they are names. */
export function processFields(image: string | undefined): { path?: string; name?: string } {
  if (image === undefined) return {};
  return /[\\/]/.test(image) ? { path: image } : { name: image };
}
