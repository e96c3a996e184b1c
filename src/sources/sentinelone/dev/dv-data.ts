import type { SimConnection, SimHost } from '../../../dev/scenario/index.js';
import { hash32 } from '../../../dev/scenario/stable-hash.js';

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

/** `current`: the newer names (and `createdAt` beside `eventTime`); `swagger`: only the names the 2.1 swagger gives. */
export type DvFieldNames = 'current' | 'swagger';

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
    // Microseconds, as in the stix-shifter sample of a real dv/events row.
    createdAt: time.replace('Z', '000Z'),
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
    srcProcParentImagePath: process.parent_path ?? null,
    // ISO with milliseconds and Z, as in the stix-shifter sample of a real row.
    srcProcStartTime: process.started_at === undefined ? null : new Date(process.started_at).toISOString(),
    srcProcStorylineId: `${seed.toString(16).padStart(8, '0')}${agentUuidOf(host).slice(0, 8)}`.toUpperCase(),
    relatedToThreat: 'False',
  };
}

/** Each newer field the 2.1 swagger names otherwise, with the swagger's name(s) for it. */
const SWAGGER_NAMES: Readonly<Record<string, readonly string[]>> = {
  netConnStatus: ['connectionStatus'],
  netEventDirection: ['direction'],
  srcProcName: ['processName'],
  srcProcPid: ['pid'],
  srcProcImagePath: ['processImagePath'],
  srcProcCmdLine: ['processCmd'],
  srcProcImageSha1: ['processImageSha1Hash'],
  srcProcUser: ['processUserName', 'user'],
  srcProcParentName: ['parentProcessName'],
  srcProcStartTime: ['processStartTime'],
};

/**
 * Newer fields the swagger has no name for. `metaEventName` is not one of them: the swagger does not list it
 * either, but real rows carry it next to the older names, and it is the row's only word on the protocol.
 */
const NOT_IN_SWAGGER = new Set(['eventTime', 'netProtocolName', 'srcProcImageSha256', 'srcProcStorylineId', 'srcProcParentImagePath']);

/** The row a tenant that sends only the swagger's field names returns; the swagger types `pid` as a string. */
export function inSwaggerNames(event: DvEvent): DvEvent {
  return Object.fromEntries(
    Object.entries(event).flatMap(([name, value]): [string, DvEvent[string]][] => {
      if (NOT_IN_SWAGGER.has(name)) return [];
      const swaggerNames = SWAGGER_NAMES[name];
      if (!swaggerNames) return [[name, value]];
      return swaggerNames.map((swaggerName) => [swaggerName, name === 'srcProcPid' && value !== null ? String(value) : value]);
    }),
  );
}
