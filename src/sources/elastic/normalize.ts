import type { BaselineEntry, ConnectionEvent } from '../../contracts/connection-event.js';
import type { SourcePrevalence } from '../../contracts/prevalence.js';
import { firstLabel } from '../../lib/net.js';
import { basename } from '../../lib/process-identity.js';
import { startedAtMs } from '../process-start.js';
import type { DeviceRow } from '../event-baseline.js';
import { SourceError } from '../source-error.js';
import type { Bucket, DestinationBucket, Hit, PortBucket } from './parse.js';

/** The first value of a `fields` entry, as text; empty and Sysmon's "-" are none. */
function text(hit: Hit, field: string): string | undefined {
  const value = hit.fields[field]?.[0];
  const string = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
  return string && string !== '-' ? string : undefined;
}

function integer(hit: Hit, field: string): number | undefined {
  const value = Number(hit.fields[field]?.[0]);
  return Number.isSafeInteger(value) ? value : undefined;
}

/**
 * When the process started: the event's time less `process.uptime` (ECS: whole seconds the process has been up), so
 * within a second after the real start. Only a non-negative whole number of seconds is read; anything else is absent.
 */
function startedAt(hit: Hit, time: number): number | undefined {
  const value = hit.fields['process.uptime']?.[0];
  const seconds = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,12}$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(seconds) && seconds >= 0 ? startedAtMs(time - seconds * 1_000) : undefined;
}

const DIRECTIONS: Readonly<Record<string, ConnectionEvent['direction']>> = {
  egress: 'outbound',
  outgoing: 'outbound',
  outbound: 'outbound',
  ingress: 'inbound',
  incoming: 'inbound',
  inbound: 'inbound',
  internal: 'lateral',
  listening: 'listen',
};
const OUTCOMES = new Set<ConnectionEvent['outcome']>(['success', 'failure', 'unknown']);

export const normalizeTransport = (transport: string | undefined | null): string => transport?.toLowerCase() || 'unknown';

/** An Elastic Defend or Sysmon (Windows integration) network event, both ECS, read through the `fields` API. */
export function toConnectionEvent(sourceId: string, hit: Hit): ConnectionEvent {
  const timestamp = text(hit, '@timestamp');
  const time = timestamp === undefined ? NaN : Date.parse(timestamp);
  if (!Number.isFinite(time)) throw new SourceError('terminal', sourceId, `search hit ${hit._id} has no readable @timestamp`);
  const path = text(hit, 'process.executable');
  const userName = text(hit, 'user.name');
  const userDomain = text(hit, 'user.domain');
  const outcome = text(hit, 'event.outcome') as ConnectionEvent['outcome'] | undefined;
  return {
    id: `elastic:${hit._index}:${hit._id}`,
    source: sourceId,
    time,
    device: { hostname: text(hit, 'host.name'), uid: text(hit, 'host.id'), ip: text(hit, 'source.ip') ?? text(hit, 'host.ip') },
    process: {
      pid: integer(hit, 'process.pid'),
      name: text(hit, 'process.name') ?? (path ? basename(path) : undefined),
      path,
      cmd_line: text(hit, 'process.command_line'),
      sha1: text(hit, 'process.hash.sha1')?.toLowerCase(),
      sha256: text(hit, 'process.hash.sha256')?.toLowerCase(),
      user: userName && userDomain ? `${userDomain}\\${userName}` : userName,
      parent_name: text(hit, 'process.parent.name'),
      parent_path: text(hit, 'process.parent.executable'),
      started_at: startedAt(hit, time),
      signer: undefined,
    },
    src_endpoint: { ip: text(hit, 'source.ip'), port: integer(hit, 'source.port') },
    dst_endpoint: { ip: text(hit, 'destination.ip'), port: integer(hit, 'destination.port'), hostname: text(hit, 'destination.domain')?.toLowerCase() },
    protocol: normalizeTransport(text(hit, 'network.transport')),
    direction: DIRECTIONS[text(hit, 'network.direction')?.toLowerCase() ?? ''] ?? 'unknown',
    outcome: outcome && OUTCOMES.has(outcome) ? outcome : 'unknown',
  };
}

const keyText = (value: string | number | null | undefined): string | undefined => (value === null || value === undefined || value === '' || value === '-' ? undefined : String(value));

/** A baseline bucket with its device as the agent reported it (name, `host.id`, local address), for attribution. */
export function toBaselineRow(sourceId: string, bucket: Bucket): DeviceRow {
  const { key } = bucket;
  return { device: { hostname: keyText(key.host), uid: keyText(key.host_id), ip: keyText(key.src_ip) }, entry: toBaselineEntry(sourceId, bucket) };
}

function toBaselineEntry(sourceId: string, bucket: Bucket): BaselineEntry {
  const { key } = bucket;
  const host = keyText(key.host);
  const first = bucket.first_seen.value;
  const last = bucket.last_seen.value;
  if (host === undefined || first === null || last === null) {
    throw new SourceError('terminal', sourceId, `baseline bucket ${JSON.stringify(key)} has no host or no first/last time`);
  }
  const path = keyText(key.path);
  const port = Number(key.dst_port);
  return {
    host,
    process_path: path,
    process_name: keyText(key.name) ?? (path ? basename(path) : undefined),
    sha1: keyText(key.sha1)?.toLowerCase(),
    dst_ip: keyText(key.dst_ip),
    dst_hostname: keyText(key.dst_domain)?.toLowerCase(),
    dst_port: key.dst_port !== null && Number.isSafeInteger(port) ? port : undefined,
    protocol: normalizeTransport(keyText(key.transport)),
    count: bucket.doc_count,
    first_seen: Math.round(first),
    last_seen: Math.round(last),
  };
}

/** Transport and port read as `toConnectionEvent` reads them. */
export function toPortPrevalence(bucket: PortBucket): SourcePrevalence['ports'][number] {
  const port = Number(bucket.key.port);
  return {
    protocol: normalizeTransport(keyText(bucket.key.transport)),
    port: bucket.key.port !== null && Number.isSafeInteger(port) ? port : null,
    hosts: bucket.hosts.value,
  };
}

export function toDestinationPrevalence(bucket: DestinationBucket): SourcePrevalence['destinations'][number] {
  return { destination: bucket.key_as_string ?? String(bucket.key), hosts: bucket.hosts.value };
}

/** Whether a reported `host.name` is the watched name: equal, or equal first labels when one side is short. */
export function hostNameMatches(reported: string | undefined, wanted: string): boolean {
  if (!reported) return false;
  const a = reported.toLowerCase();
  const b = wanted.toLowerCase();
  if (a === b) return true;
  if (a.includes('.') && b.includes('.')) return false;
  return firstLabel(a) === firstLabel(b);
}
