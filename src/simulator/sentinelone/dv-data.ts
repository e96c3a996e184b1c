import type { SimConnection, SimHost } from '../scenario/index.js';
import { hash32 } from '../scenario/stable-hash.js';

/** The agent UUID of a simulated host: 32 hex digits. */
export const agentUuidOf = (host: SimHost): string => host.device_id.slice(0, 32);
const agentIdOf = (host: SimHost): string => String(1_500_000_000_000_000_000n + BigInt(hash32(`agent:${host.hostname}`)));

/** A `GET /web/api/v2.1/agents` record. */
export function agentRecord(host: SimHost, nowMs: number): Record<string, unknown> {
  const [, ...domain] = host.fqdn.split('.');
  return {
    id: agentIdOf(host),
    uuid: agentUuidOf(host),
    computerName: host.hostname,
    domain: domain.join('.').toUpperCase(),
    osType: 'windows',
    isActive: true,
    lastActiveDate: new Date(nowMs - 30_000).toISOString(),
    networkInterfaces: [{ inet: [host.ip], name: 'Ethernet' }],
    siteId: '1100000000000000001',
    accountId: '1000000000000000001',
  };
}

export type DvEvent = Record<string, string | number | boolean | null>;

/** The `IP Connect` record Deep Visibility returns for a simulated connection. */
export function ipConnectEvent(connection: SimConnection): DvEvent {
  const seed = hash32(connection.id);
  const { host, process } = connection;
  const time = new Date(connection.time).toISOString();
  return {
    id: String(1_600_000_000_000_000_000n + BigInt(seed) * 1_000n + BigInt(hash32(`${connection.id}:n`) % 1_000)),
    eventType: 'IP Connect',
    objectType: 'ip',
    eventTime: time,
    createdAt: time,
    agentName: host.hostname,
    agentUuid: agentUuidOf(host),
    agentId: agentIdOf(host),
    agentIp: host.ip,
    agentOs: 'windows',
    srcIp: host.ip,
    srcPort: 49_152 + (seed % 16_000),
    dstIp: connection.dst.ip,
    dstPort: connection.dst.port,
    netConnStatus: connection.outcome === 'success' ? 'SUCCESS' : 'FAILURE',
    netEventDirection: 'OUTGOING',
    netProtocolName: connection.protocol.toUpperCase(),
    metaEventName: `${connection.protocol.toUpperCase()}V4`,
    srcProcName: process.name,
    srcProcPid: process.pid,
    srcProcImagePath: process.path,
    srcProcCmdLine: process.cmd_line,
    srcProcImageSha1: process.sha1,
    srcProcImageSha256: null,
    srcProcUser: process.user,
    srcProcParentName: process.parent,
    srcProcStorylineId: `${seed.toString(16).padStart(8, '0')}${agentUuidOf(host).slice(0, 8)}`.toUpperCase(),
    relatedToThreat: 'False',
  };
}
