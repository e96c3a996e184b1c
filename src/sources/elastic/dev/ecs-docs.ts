import type { SimConnection, SimHost } from '../../../dev/scenario/index.js';
import { hash32 } from '../../../dev/scenario/stable-hash.js';

/** A stored document, flattened to ECS field names, each with its values (the `fields` API's view). */
export interface EcsDoc {
  index: string;
  id: string;
  fields: Record<string, (string | number)[]>;
}

export const DEFEND_INDEX = '.ds-logs-endpoint.events.network-default-2026.11.01-000001';
export const SYSMON_INDEX = '.ds-logs-windows.sysmon_operational-default-2026.11.01-000001';
/** The data streams the backing indices belong to, which index patterns are matched against. */
export const DATA_STREAMS: Readonly<Record<string, string>> = {
  [DEFEND_INDEX]: 'logs-endpoint.events.network-default',
  [SYSMON_INDEX]: 'logs-windows.sysmon_operational-default',
};

/** FIN-WS-042 runs Elastic Defend, the others ship Sysmon through the Windows integration. */
export const runsDefend = (host: SimHost): boolean => host.hostname.endsWith('42');
export const hostId = (host: SimHost): string => host.device_id.slice(0, 32);

function splitUser(user: string): { domain?: string; name: string } {
  const slash = user.indexOf('\\');
  return slash === -1 ? { name: user } : { domain: user.slice(0, slash), name: user.slice(slash + 1) };
}

function common(connection: SimConnection, seed: number): Record<string, (string | number)[]> {
  const { domain, name } = splitUser(connection.process.user);
  return {
    '@timestamp': [new Date(connection.time).toISOString()],
    'event.category': ['network'],
    'host.id': [hostId(connection.host)],
    'host.ip': [connection.host.ip],
    'host.os.type': ['windows'],
    'process.pid': [connection.process.pid],
    'process.name': [connection.process.name],
    'process.executable': [connection.process.path],
    'user.name': [name],
    ...(domain ? { 'user.domain': [domain] } : {}),
    'source.ip': [connection.host.ip],
    'source.port': [49_152 + (seed % 16_000)],
    'destination.ip': [connection.dst.ip],
    'destination.port': [connection.dst.port],
    'network.transport': [connection.protocol],
  };
}

/** Defend's `process.uptime` at `time`: whole seconds since the process started (ECS), when the scenario knows it. */
function uptime(connection: SimConnection, time: number): Record<string, number[]> {
  const started = connection.process.started_at;
  return started === undefined || started > time ? {} : { 'process.uptime': [Math.floor((time - started) / 1_000)] };
}

/**
 * How a connection is stored: Defend hosts get `connection_attempted` plus the `disconnect_received` of the same
 * connection (which the connector must not count again); Sysmon hosts one Event ID 3. `ingestedMs`, when given, is
 * stamped as `event.ingested` in whole seconds.
 */
export function ecsDocs(connection: SimConnection, ingestedMs?: number): EcsDoc[] {
  const seed = hash32(connection.id);
  const base = {
    ...common(connection, seed),
    ...(ingestedMs === undefined ? {} : { 'event.ingested': [new Date(Math.floor(ingestedMs / 1_000) * 1_000).toISOString()] }),
  };
  const docId = (suffix: string) => `${seed.toString(36)}${connection.time.toString(36)}${suffix}`;
  if (!runsDefend(connection.host)) {
    return [
      {
        index: SYSMON_INDEX,
        id: docId('s'),
        fields: {
          ...base,
          'host.name': [connection.host.hostname.toLowerCase()],
          'event.code': ['3'],
          'event.type': ['start', 'connection', 'protocol'],
          'event.action': ['Network connection detected (rule: NetworkConnect)'],
          'event.dataset': ['windows.sysmon_operational'],
          'network.direction': ['egress'],
          ...(connection.dst.hostname ? { 'destination.domain': [connection.dst.hostname] } : {}),
        },
      },
    ];
  }
  // No process.parent.* here: Defend's network events document none (endpoint-package, Windows network events).
  const defend = {
    ...base,
    'host.name': [connection.host.fqdn.toLowerCase()],
    'event.dataset': ['endpoint.events.network'],
    'event.module': ['endpoint'],
    'network.direction': ['egress'],
    'process.hash.sha1': [connection.process.sha1],
  };
  return [
    {
      index: DEFEND_INDEX,
      id: docId('a'),
      fields: { ...defend, ...uptime(connection, connection.time), 'event.type': ['start'], 'event.action': ['connection_attempted'], 'event.outcome': [connection.outcome] },
    },
    {
      index: DEFEND_INDEX,
      id: docId('d'),
      fields: {
        ...defend,
        ...uptime(connection, connection.time + 1_500),
        '@timestamp': [new Date(connection.time + 1_500).toISOString()],
        'event.type': ['end'],
        'event.action': ['disconnect_received'],
      },
    },
  ];
}
