import type { ConnectionEvent } from '../../contracts/connection-event.js';
import type { IpConnectEvent } from './parse.js';

const present = (value: string | null | undefined): string | undefined => (value ? value : undefined);
const presentInt = (value: number | null | undefined): number | undefined =>
  value !== null && value !== undefined && Number.isSafeInteger(value) ? value : undefined;

/** `netProtocolName` when given, else the `TCPV4`/`UDPV6` prefix of `metaEventName`. */
export function normalizeProtocol(event: Pick<IpConnectEvent, 'netProtocolName' | 'metaEventName'>): string {
  const name = present(event.netProtocolName)?.toLowerCase();
  if (name) return name;
  const meta = present(event.metaEventName)?.toLowerCase() ?? '';
  for (const protocol of ['tcp', 'udp', 'icmpv6', 'icmp']) if (meta.startsWith(protocol)) return protocol;
  return 'unknown';
}

const DIRECTIONS: Readonly<Record<string, ConnectionEvent['direction']>> = { OUTGOING: 'outbound', INCOMING: 'inbound' };
const OUTCOMES: Readonly<Record<string, ConnectionEvent['outcome']>> = { SUCCESS: 'success', FAILURE: 'failure', FAILED: 'failure' };

export function toConnectionEvent(sourceId: string, event: IpConnectEvent): ConnectionEvent {
  return {
    id: `s1:${event.id}`,
    source: sourceId,
    time: Date.parse(event.eventTime),
    device: { hostname: present(event.agentName), uid: present(event.agentUuid), ip: present(event.agentIp) ?? present(event.srcIp) },
    process: {
      pid: presentInt(event.srcProcPid),
      name: present(event.srcProcName),
      path: present(event.srcProcImagePath),
      cmd_line: present(event.srcProcCmdLine),
      sha1: present(event.srcProcImageSha1)?.toLowerCase(),
      sha256: present(event.srcProcImageSha256)?.toLowerCase(),
      user: present(event.srcProcUser),
      parent_name: present(event.srcProcParentName),
      parent_path: present(event.srcProcParentImagePath),
      started_at: event.srcProcStartTime,
      signer: undefined,
    },
    src_endpoint: { ip: present(event.srcIp), port: presentInt(event.srcPort) },
    dst_endpoint: { ip: present(event.dstIp), port: presentInt(event.dstPort), hostname: undefined },
    protocol: normalizeProtocol(event),
    direction: DIRECTIONS[(event.netEventDirection ?? '').toUpperCase()] ?? 'unknown',
    outcome: OUTCOMES[(event.netConnStatus ?? '').toUpperCase()] ?? 'unknown',
  };
}
