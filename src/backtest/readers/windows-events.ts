import type { ConnectionEvent } from '../../contracts/connection-event.js';
import { isWholeEvent, type ReadConnection } from '../sighting.js';
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
 * An event id field of 1, 5156 or 5157 in any of the shapes `windowsRecord` reads (`"EventID"`, `"EventCode"`,
 * `"event_id"`, `"code"` or `"event.code"`, the id a number or text): a line without one holds no Sysmon process
 * creation and no WFP event. The expression leaves out the quote and first letter of each key, which begin most
 * keys and values: V8 then skips through the text far faster. `keyStartsAt` checks what it left out.
 */
const FIRST_PASS_ID = /(?:ventID|ventCode|vent_id|code|vent\.code)"[ \t]*:[ \t]*"?[ \t]*0*(?:1|515[67])[ \t]*"?[ \t]*[,}]/g;
function keyStartsAt(text: string, match: RegExpExecArray): boolean {
  const key = match[0];
  const start = key[0] === 'c' ? '"' : key.startsWith('vent_') || key.startsWith('vent.') ? '"e' : '"E';
  return text.startsWith(start, match.index - start.length);
}

/**
 * The starts of the lines of `text` from `from` (a line start) to `end` that may matter to the first pass, in
 * order and each once; every other line is left out of it without being parsed. `text` should be a chunk as read,
 * not text joined to it: V8 searches a joined (cons) string several times slower.
 */
export function firstPassLineStarts(text: string, from: number, end: number): number[] {
  const starts: number[] = [];
  FIRST_PASS_ID.lastIndex = from;
  for (let match = FIRST_PASS_ID.exec(text); match !== null && match.index < end; match = FIRST_PASS_ID.exec(text)) {
    if (!keyStartsAt(text, match)) {
      FIRST_PASS_ID.lastIndex = match.index + 1;
      continue;
    }
    starts.push(Math.max(from, text.lastIndexOf('\n', match.index) + 1));
    const stop = text.indexOf('\n', match.index);
    if (stop === -1) break;
    FIRST_PASS_ID.lastIndex = stop + 1;
  }
  return starts;
}

export const mayMatterToFirstPass = (line: string) => firstPassLineStarts(line, 0, line.length).length > 0;

const NOWHERE = { entry: '' };

/**
 * What a first pass over a Windows log learns before its connections are read, so that they stream through
 * instead of being held until the end of the log: every Sysmon process creation (Event ID 1) goes into the shared
 * `SysmonProcesses`, and the sockets of WFP events are noted. Records that are not valid are left for the
 * reading pass to report.
 */
export class WindowsLogIndex {
  /** Only Sysmon connections of these sockets are remembered, to drop the WFP events they duplicate. */
  readonly wfpSockets = new Set<string>();

  constructor(private readonly processes: SysmonProcesses) {}

  note(record: unknown): void {
    if (!isRecord(record)) return;
    const event = windowsRecord(record);
    if (!event) return;
    const isSysmon = event.channel.includes('sysmon');
    if (isSysmon && event.eventId === 1) this.processes.add(event);
    else if (!isSysmon && (event.eventId === 5156 || event.eventId === 5157)) {
      try {
        const { socket } = wfpConnection(event, NOWHERE, event.eventId === 5157);
        if (socket !== undefined) this.wfpSockets.add(socket);
      } catch {
        return;
      }
    }
  }
}

/**
 * Windows event logs as JSON lines: Sysmon Event ID 3 (network connection), joined on ProcessGuid with Event ID 1
 * (process create) for the command line, hashes, parent and user; and the Security log's Windows Filtering
 * Platform events 5156 (connection permitted) and 5157 (blocked), which also log connections Sysmon's
 * configuration left out. A WFP event of a socket Sysmon also logged is dropped: one connection, one event.
 * Every other event in the log is skipped. `index` is the first pass over the same log: the process creations of
 * the whole log are known before its first connection is read, so Sysmon connections are handed on as they are
 * read; WFP events are held until the end of the log.
 */
export function createWindowsEventReader(processes: SysmonProcesses, index: WindowsLogIndex, sightingsBefore = Number.NEGATIVE_INFINITY): RecordReader {
  const wfp: PendingConnection[] = [];
  const sysmonSockets = new Map<string, number[]>();
  let skipped = 0;

  function joined({ event, socket, guid }: PendingConnection<ReadConnection>): ReadConnection {
    const details = processes.get(guid);
    // A sighting takes from the process creation only the hash its baseline row is keyed by.
    if (details && isWholeEvent(event)) event.process = { ...details, ...event.process };
    else if (details?.sha1 !== undefined && event.process) event.process.sha1 = details.sha1;
    if (socket !== undefined && index.wfpSockets.has(socket)) {
      const times = sysmonSockets.get(socket);
      if (times) times.push(event.time);
      else sysmonSockets.set(socket, [event.time]);
    }
    return event;
  }

  return {
    get skipped() {
      return skipped;
    },
    read(record, at): ReadConnection | undefined {
      if (!isRecord(record)) throw recordError(at, 'not a JSON object');
      const event = windowsRecord(record);
      const isSysmon = event !== undefined && event.channel.includes('sysmon');
      // Process creations were taken by the first pass.
      if (event && isSysmon && event.eventId === 3) return joined(sysmonConnection(event, at, index.wfpSockets.size > 0, sightingsBefore));
      if (event && isSysmon && event.eventId === 1) return undefined;
      if (event && !isSysmon && (event.eventId === 5156 || event.eventId === 5157)) wfp.push(wfpConnection(event, at, event.eventId === 5157));
      else skipped += 1;
      return undefined;
    },
    finish(): ConnectionEvent[] {
      const events: ConnectionEvent[] = [];
      for (const { event, socket } of wfp) {
        const times = socket === undefined ? undefined : sysmonSockets.get(socket);
        if (times?.some((time) => Math.abs(time - event.time) <= SAME_CONNECTION_MS)) skipped += 1;
        else events.push(event);
      }
      wfp.length = 0;
      sysmonSockets.clear();
      return events;
    },
  };
}
