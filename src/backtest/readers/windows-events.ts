import type { ConnectionEvent } from '../../contracts/connection-event.js';
import { isRecord } from './fields.js';
import { recordError, type RecordReader } from './record-reader.js';
import { sysmonConnection } from './sysmon-connection.js';
import type { SysmonProcesses } from './sysmon-processes.js';
import { wfpConnection } from './wfp-connection.js';
import type { PendingConnection } from './windows-connection.js';
import { windowsRecord } from './windows-record.js';

export { SYSMON_SOURCE } from './sysmon-connection.js';
export { WFP_SOURCE } from './wfp-connection.js';

/** A WFP event and a Sysmon event of the same socket are one connection when this close in time. */
const SAME_CONNECTION_MS = 120_000;

/**
 * Windows event logs as JSON lines: Sysmon Event ID 3 (network connection), joined on ProcessGuid with Event ID 1
 * (process create) for the command line, hashes, parent and user; and the Security log's Windows Filtering
 * Platform events 5156 (connection permitted) and 5157 (blocked), which also log connections Sysmon's
 * configuration left out. A WFP event of a socket Sysmon also logged is dropped: one connection, one event.
 * Every other event in the log is skipped.
 */
export function createWindowsEventReader(processes: SysmonProcesses): RecordReader {
  const sysmon: PendingConnection[] = [];
  const wfp: PendingConnection[] = [];
  let skipped = 0;

  return {
    get skipped() {
      return skipped;
    },
    read(record, at): undefined {
      if (!isRecord(record)) throw recordError(at, 'not a JSON object');
      const event = windowsRecord(record);
      const isSysmon = event !== undefined && event.channel.includes('sysmon');
      if (event && isSysmon && event.eventId === 3) sysmon.push(sysmonConnection(event, at));
      else if (event && isSysmon && event.eventId === 1) processes.add(event);
      else if (event && !isSysmon && (event.eventId === 5156 || event.eventId === 5157)) wfp.push(wfpConnection(event, at, event.eventId === 5157));
      else skipped += 1;
      return undefined;
    },
    finish(): ConnectionEvent[] {
      const sysmonSockets = new Map<string, number[]>();
      const events: ConnectionEvent[] = [];
      for (const { event, socket, guid } of sysmon) {
        const details = processes.get(guid);
        if (details) event.process = { ...details, ...event.process };
        if (socket !== undefined) {
          const times = sysmonSockets.get(socket);
          if (times) times.push(event.time);
          else sysmonSockets.set(socket, [event.time]);
        }
        events.push(event);
      }
      for (const { event, socket } of wfp) {
        const times = socket === undefined ? undefined : sysmonSockets.get(socket);
        if (times?.some((time) => Math.abs(time - event.time) <= SAME_CONNECTION_MS)) skipped += 1;
        else events.push(event);
      }
      sysmon.length = 0;
      wfp.length = 0;
      return events;
    },
  };
}
