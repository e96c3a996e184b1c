import type { ConnectionEvent } from '../../src/contracts/connection-event.js';
import { hash32 } from '../../src/dev/scenario/stable-hash.js';
import { csvField } from './csv-text.js';

/** The `DeviceNetworkEvents` columns of an advanced-hunting export, in the portal's order. */
const COLUMNS = [
  'Timestamp',
  'DeviceId',
  'DeviceName',
  'ActionType',
  'RemoteIP',
  'RemotePort',
  'RemoteUrl',
  'LocalIP',
  'LocalPort',
  'Protocol',
  'LocalIPType',
  'RemoteIPType',
  'InitiatingProcessSHA1',
  'InitiatingProcessSHA256',
  'InitiatingProcessFileName',
  'InitiatingProcessFolderPath',
  'InitiatingProcessId',
  'InitiatingProcessCommandLine',
  'InitiatingProcessParentFileName',
  'InitiatingProcessCreationTime',
  'InitiatingProcessAccountDomain',
  'InitiatingProcessAccountName',
  'ReportId',
] as const;

type MdeRow = Record<(typeof COLUMNS)[number], string | number | undefined>;

const ACTION: Record<ConnectionEvent['outcome'], string> = {
  success: 'ConnectionSuccess',
  failure: 'ConnectionFailed',
  blocked: 'ConnectionFailed',
  unknown: 'ConnectionRequest',
};

/** How MDE reports a connection: 7-digit timestamps, `TcpV4`, lower-case account domain, numeric ReportId. */
export function mdeRow(event: ConnectionEvent): MdeRow {
  const process = event.process;
  const [domain, account] = process?.user?.includes('\\') ? process.user.split('\\', 2) : [undefined, process?.user];
  const ticks = String(hash32(event.id) % 10_000).padStart(4, '0');
  return {
    Timestamp: `${new Date(event.time).toISOString().slice(0, 23)}${ticks}Z`,
    DeviceId: event.device.uid,
    DeviceName: event.device.hostname,
    ActionType: event.direction === 'inbound' ? 'InboundConnectionAccepted' : ACTION[event.outcome],
    RemoteIP: event.dst_endpoint.ip,
    RemotePort: event.dst_endpoint.port,
    RemoteUrl: event.dst_endpoint.hostname ?? '',
    LocalIP: event.src_endpoint?.ip ?? event.device.ip,
    LocalPort: event.src_endpoint?.port,
    Protocol: event.protocol === 'tcp' ? 'TcpV4' : event.protocol === 'udp' ? 'UdpV4' : event.protocol,
    LocalIPType: 'Private',
    RemoteIPType: 'Public',
    InitiatingProcessSHA1: process?.sha1,
    InitiatingProcessSHA256: '',
    InitiatingProcessFileName: process?.name,
    InitiatingProcessFolderPath: process?.path?.toLowerCase(),
    InitiatingProcessId: process?.pid ?? hash32(`${event.device.hostname}:${process?.path}`) % 30_000,
    InitiatingProcessCommandLine: process?.cmd_line,
    InitiatingProcessParentFileName: process?.parent_name,
    InitiatingProcessCreationTime: process?.started_at === undefined ? undefined : new Date(process.started_at).toISOString(),
    InitiatingProcessAccountDomain: domain?.toLowerCase(),
    InitiatingProcessAccountName: account,
    ReportId: hash32(`report:${event.id}`) % 1_000_000,
  };
}

/** The portal's CSV export. */
export function* mdeCsvLines(events: Iterable<ConnectionEvent>): Generator<string> {
  yield COLUMNS.join(',');
  for (const event of events) {
    const row = mdeRow(event);
    yield COLUMNS.map((column) => csvField(row[column])).join(',');
  }
}

/** Graph `runHuntingQuery`'s response body: `schema` and `results`. */
export function* mdeGraphJson(events: Iterable<ConnectionEvent>): Generator<string> {
  yield `{"schema":${JSON.stringify(COLUMNS.map((name) => ({ name, type: name === 'Timestamp' ? 'DateTime' : 'String' })))},"results":[`;
  let first = true;
  for (const event of events) {
    yield `${first ? '' : ','}\n${JSON.stringify(mdeRow(event))}`;
    first = false;
  }
  yield '\n]}';
}
