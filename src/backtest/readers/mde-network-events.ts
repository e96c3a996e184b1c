import type { ConnectionEvent } from '../../contracts/connection-event.js';
import { normalizeProtocol, remoteHost } from '../../sources/mde/parse.js';
import { displayedTime, fileName, integer, isRecord, port, present, text, utcTime, type Fields } from './fields.js';
import { positionId, recordError, type RecordPosition, type RecordReader } from './record-reader.js';
import type { ReadConnection } from '../sighting.js';

export const MDE_SOURCE = 'mde';

type Disposition = Pick<ConnectionEvent, 'direction' | 'outcome'>;

/**
 * `DeviceNetworkEvents.ActionType` values that are connections. The `*ConnectionInspected` rows are network
 * protection's protocol inspections of connections already reported, so they are skipped, except ICMP, which MDE
 * reports in no other row.
 */
const ACTIONS: ReadonlyMap<string, Disposition> = new Map(Object.entries({
  ConnectionSuccess: { direction: 'outbound', outcome: 'success' },
  ConnectionFailed: { direction: 'outbound', outcome: 'failure' },
  ConnectionRequest: { direction: 'outbound', outcome: 'unknown' },
  ConnectionAttempt: { direction: 'outbound', outcome: 'unknown' },
  ConnectionFound: { direction: 'unknown', outcome: 'success' },
  ConnectionAcknowledged: { direction: 'unknown', outcome: 'success' },
  InboundConnectionAccepted: { direction: 'inbound', outcome: 'success' },
  ListeningConnectionCreated: { direction: 'listen', outcome: 'success' },
  IcmpConnectionInspected: { direction: 'unknown', outcome: 'unknown' },
} satisfies Record<string, Disposition>));

/**
 * MDE's "folder path" normally holds the whole image path; some exports hold only the folder. The image path is
 * the folder path when it already ends with the file name, else the two joined.
 */
function imagePath(folder: string | undefined, name: string | undefined): string | undefined {
  if (folder === undefined) return undefined;
  if (name === undefined || fileName(folder).toLowerCase() === name.toLowerCase()) return folder;
  return `${folder.replace(/[\\/]+$/, '')}\\${name}`;
}

/**
 * Defender for Endpoint `DeviceNetworkEvents` rows, from an advanced-hunting JSON export (Graph `results`, the
 * older API's `Results`, a plain array, JSON lines) or the portal's CSV export: the same columns either way, with
 * numbers as JSON numbers or as text.
 */
export function createMdeNetworkEventReader(sightingsBefore = Number.NEGATIVE_INFINITY): RecordReader {
  let skipped = 0;
  const columnError = (at: RecordPosition, column: string, problem: string) => recordError(at, `${column}: ${problem}`);

  function number(row: Fields, column: string, at: RecordPosition, parse: typeof port): number | undefined {
    const value = parse(row[column]);
    if (value === 'invalid') throw columnError(at, column, `not a valid number (${JSON.stringify(row[column])})`);
    return value;
  }

  return {
    get skipped() {
      return skipped;
    },
    read(record, at): ReadConnection | undefined {
      if (!isRecord(record)) throw recordError(at, 'not a JSON object');
      const action = text(record.ActionType);
      const disposition = action === undefined ? undefined : ACTIONS.get(action);
      if (!disposition) {
        skipped += 1;
        return undefined;
      }
      const stamp = text(record.Timestamp) ?? text(record.TimeGenerated);
      const time = utcTime(stamp) ?? displayedTime(stamp);
      if (time === undefined) {
        throw columnError(at, 'Timestamp', `not an ISO 8601 date-time nor one as the portal shows it, e.g. "Mar 10, 2026 9:03:12 AM" (${JSON.stringify(stamp ?? null)})`);
      }
      const deviceName = text(record.DeviceName);
      const deviceId = text(record.DeviceId);
      if (deviceName === undefined && deviceId === undefined) throw columnError(at, 'DeviceName', 'missing (and no DeviceId)');
      const localIp = text(record.LocalIP);
      const remotePort = number(record, 'RemotePort', at, port);
      // Checked for every record, sighting or not: a bad number is refused wherever it is.
      const localPort = number(record, 'LocalPort', at, port);
      const pid = number(record, 'InitiatingProcessId', at, integer);
      const name = text(record.InitiatingProcessFileName);
      const path = imagePath(text(record.InitiatingProcessFolderPath), name);
      const sha1 = text(record.InitiatingProcessSHA1);
      const protocol = normalizeProtocol(text(record.Protocol));
      const device = present({ hostname: deviceName, uid: deviceId, ip: localIp });
      const dst = present({
        ip: text(record.RemoteIP),
        port: protocol.startsWith('icmp') ? undefined : remotePort,
        hostname: remoteHost(text(record.RemoteUrl)),
      });
      if (time < sightingsBefore) return { source: MDE_SOURCE, time, device, process: present({ name, path, sha1 }), dst_endpoint: dst, protocol, ...disposition };
      const domain = text(record.InitiatingProcessAccountDomain);
      const account = text(record.InitiatingProcessAccountName);
      const started = text(record.InitiatingProcessCreationTime);
      const reportId = text(record.ReportId);
      return {
        id: reportId === undefined ? positionId(at) : `mde:${deviceId ?? deviceName}:${reportId}:${stamp}`,
        source: MDE_SOURCE,
        time,
        device,
        process: present({
          pid,
          name,
          path,
          cmd_line: text(record.InitiatingProcessCommandLine),
          sha1,
          sha256: text(record.InitiatingProcessSHA256),
          user: account && domain ? `${domain}\\${account}` : account,
          parent_name: text(record.InitiatingProcessParentFileName),
          // Lineage only: a start time in neither form leaves it out rather than refusing the row.
          started_at: utcTime(started) ?? displayedTime(started),
        }),
        src_endpoint: present({ ip: localIp, port: localPort }),
        dst_endpoint: dst,
        protocol,
        ...disposition,
      };
    },
    finish: () => [],
  };
}
