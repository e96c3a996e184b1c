import type { ConnectionEvent } from '../../contracts/connection-event.js';
import { normalizeIp } from '../../lib/net.js';
import type { ReadConnection } from '../sighting.js';
import { fileName, port } from './fields.js';
import { recordError, type RecordPosition } from './record-reader.js';
import type { WindowsRecord } from './windows-record.js';

/** A connection read from a Windows event, held until the whole log was read (for the join and the de-duplication). */
export interface PendingConnection<Event extends ReadConnection = ConnectionEvent> {
  event: Event;
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

/**
 * A value that names no image: Sysmon writes `<unknown process>` when it could not tell which process it was. No
 * file name holds "<" or ">", so no image is written in angle brackets.
 */
const namesNoImage = (image: string) => image.startsWith('<') && image.endsWith('>');

/** "System" (the kernel) and "Registry" have no image path: they are names. An unknown process has neither. */
export function processFields(image: string | undefined): { path?: string; name?: string } {
  if (image === undefined || namesNoImage(image)) return {};
  return /[\\/]/.test(image) ? { path: image } : { name: image };
}

/** The parent's image path and file name, from `ParentImage` (or its ECS fields). */
export function parentFields(event: WindowsRecord): { parent_path?: string; parent_name?: string } {
  const { path, name } = processFields(event.get('ParentImage'));
  if (path !== undefined) return { parent_path: path, parent_name: fileName(path) };
  return name === undefined ? {} : { parent_name: name };
}
