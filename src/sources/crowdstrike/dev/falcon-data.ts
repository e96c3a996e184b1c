import { createHash } from 'node:crypto';
import type { SimConnection, SimHost, SimProcess } from '../../../dev/scenario/index.js';
import { hash32 } from '../../../dev/scenario/stable-hash.js';

/** A Falcon agent id: 32 hex digits (the scenario's ids are 40, MDE-style). */
export const aidOf = (host: SimHost): string => host.device_id.slice(0, 32);

export const SIM_CID = 'c1d5e7a90b2f4c6e8a0b1c2d3e4f5a6b';

/** A `deviceapi.DeviceSwagger` record as the Hosts API returns it. */
export function deviceRecord(host: SimHost, nowMs: number): Record<string, unknown> {
  const [, ...domain] = host.fqdn.split('.');
  return {
    device_id: aidOf(host),
    cid: SIM_CID,
    hostname: host.hostname,
    machine_domain: domain.join('.'),
    local_ip: host.ip,
    platform_name: 'Windows',
    os_product_name: 'Windows 11 Enterprise',
    agent_version: '7.18.18805.0',
    status: 'normal',
    first_seen: '2026-01-05T08:00:00Z',
    last_seen: new Date(nowMs - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}

/** Falcon's process id of a process (not the OS pid): one per host and image, stable. */
const falconProcessId = (host: SimHost, process: SimProcess): string => String(100_000_000_000 + (hash32(`${host.hostname}:${process.path}:${process.pid}`) % 900_000_000_000));

/** `C:\...` as the NT device path Falcon reports. */
const devicePath = (path: string): string => path.replace(/^[A-Za-z]:\\/, '\\Device\\HarddiskVolume3\\');

const uuidOf = (seed: string): string => {
  const hex = createHash('sha1').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

export type FalconEvent = Record<string, string | number>;

/** The `NetworkConnectIP4` event a sensor would send for a simulated connection, as LogScale returns it, ingested at `ingestedMs`. */
export function networkEvent(connection: SimConnection, ingestedMs: number | undefined): FalconEvent {
  const seed = hash32(connection.id);
  return {
    '@id': `sim_${seed.toString(36)}_${connection.time.toString(36)}`,
    '@timestamp': connection.time,
    ...(ingestedMs === undefined ? {} : { '@ingesttimestamp': String(ingestedMs) }),
    '#event_simpleName': 'NetworkConnectIP4',
    event_simpleName: 'NetworkConnectIP4',
    '#repo': 'base_sensor',
    name: 'NetworkConnectIP4V5',
    id: uuidOf(connection.id),
    aid: aidOf(connection.host),
    cid: SIM_CID,
    aip: '198.51.100.20',
    event_platform: 'Win',
    timestamp: String(connection.time),
    ContextTimeStamp: (connection.time / 1_000).toFixed(3),
    ContextProcessId: falconProcessId(connection.host, connection.process),
    LocalAddressIP4: connection.host.ip,
    LocalPort: String(49_152 + (seed % 16_000)),
    RemoteAddressIP4: connection.dst.ip,
    RemotePort: String(connection.dst.port),
    Protocol: connection.protocol === 'tcp' ? '6' : '17',
    ConnectionDirection: '0',
    ConnectionFlags: '0',
    InContext: 'true',
  };
}

/** The process's `ProcessRollup2` fields the join can include, keyed as the join reads them. */
export function processRollup(connection: SimConnection): FalconEvent {
  const { process } = connection;
  const account = process.user.includes('\\') ? process.user.slice(process.user.indexOf('\\') + 1) : process.user;
  return {
    TargetProcessId: falconProcessId(connection.host, process),
    ImageFileName: devicePath(process.path),
    CommandLine: process.cmd_line,
    SHA1HashData: process.sha1,
    SHA256HashData: createHash('sha256').update(process.sha1).digest('hex'),
    RawProcessId: String(process.pid),
    UserName: account,
    ParentBaseFileName: process.parent,
    // Epoch seconds with a millisecond fraction, as FDR records carry it (elastic/integrations parses it as UNIX).
    ...(process.started_at === undefined ? {} : { ProcessStartTime: (process.started_at / 1_000).toFixed(3) }),
  };
}
