import { at, integer, isRecord, text, utcTime, type Fields } from './fields.js';
import { unescapeXml } from './xml-entities.js';

/**
 * One Windows event in any of the shapes exports give it, read by its Windows field names:
 * - NXLog/Logstash (OTRF Security-Datasets): `EventID`, `Channel`, `Hostname` and the event data at the top level;
 * - winlogbeat: `winlog.event_id`, `winlog.channel`, `winlog.computer_name`, data under `winlog.event_data`;
 * - ECS after Elastic's ingest pipelines: what moved out of `event_data` is read from its ECS field;
 * - Splunk's Windows add-on: `EventCode`, `LogName` or the `source` (`XmlWinEventLog:<channel>`), `Computer`, `_time`.
 */
export interface WindowsRecord {
  eventId: number;
  /** Lower-case channel, or provider when no channel was exported. */
  channel: string;
  computer: string | undefined;
  recordId: string | undefined;
  /** An event data field by its Windows name (`Image`, `DestinationIp`, `DestAddress`...), XML entities decoded. */
  get(name: string): string | undefined;
  /** `@timestamp` in epoch ms, when present and valid. */
  readonly timestamp: number | undefined;
  /** NXLog's `EventTime` as written (local time of the collector, no zone), and its receive time. */
  readonly nxlog: { eventTime: string; receivedTime: string | undefined } | undefined;
}

/** Where ECS keeps what Sysmon and the Security log call by these names. */
const ECS_FIELDS: Readonly<Record<string, string>> = {
  Image: 'process.executable',
  Application: 'process.executable',
  ProcessGuid: 'process.entity_id',
  ProcessId: 'process.pid',
  CommandLine: 'process.command_line',
  SourceIp: 'source.ip',
  SourceAddress: 'source.ip',
  SourcePort: 'source.port',
  DestinationIp: 'destination.ip',
  DestAddress: 'destination.ip',
  DestinationPort: 'destination.port',
  DestPort: 'destination.port',
  DestinationHostname: 'destination.domain',
  Protocol: 'network.transport',
};

const OUTBOUND_DIRECTIONS = new Set(['egress', 'outbound', 'outgoing']);
const INBOUND_DIRECTIONS = new Set(['ingress', 'inbound', 'incoming']);

/** ECS values rebuilt into the Windows field's own form. */
function fromEcs(record: Fields, name: string): string | undefined {
  switch (name) {
    case 'User': {
      const user = text(at(record, 'user.name'));
      const domain = text(at(record, 'user.domain'));
      return user && domain ? `${domain}\\${user}` : user;
    }
    case 'Initiated':
    case 'Direction': {
      const direction = text(at(record, 'network.direction'))?.toLowerCase();
      if (direction === undefined) return undefined;
      if (OUTBOUND_DIRECTIONS.has(direction)) return name === 'Initiated' ? 'true' : '%%14593';
      if (INBOUND_DIRECTIONS.has(direction)) return name === 'Initiated' ? 'false' : '%%14592';
      return undefined;
    }
    // ECS pipelines that drop the parent's path keep its name; a bare name is read as one.
    case 'ParentImage':
      return text(at(record, 'process.parent.executable')) ?? text(at(record, 'process.parent.name'));
    case 'Hashes': {
      const hashes = ['md5', 'sha1', 'sha256']
        .map((algorithm) => [algorithm, text(at(record, `process.hash.${algorithm}`))] as const)
        .filter(([, value]) => value !== undefined)
        .map(([algorithm, value]) => `${algorithm.toUpperCase()}=${value}`);
      return hashes.length ? hashes.join(',') : undefined;
    }
    default: {
      const path = Object.hasOwn(ECS_FIELDS, name) ? ECS_FIELDS[name] : undefined;
      return path === undefined ? undefined : text(at(record, path));
    }
  }
}

/** The first part of every ECS path `fromEcs` reads. */
const ECS_ROOTS = new Set(['user', 'network', 'process', 'source', 'destination']);

/**
 * Whether a key of the record is an ECS root or a dotted path in one (`process`, `process.pid`): without one,
 * `fromEcs` finds nothing, and a flat NXLog record is spared its look-ups for each field it lacks. Only keys that
 * begin with a lower-case letter can be one: NXLog's field names begin with a capital.
 */
function mayHoldEcs(record: Fields): boolean {
  for (const key in record) {
    const first = key.charCodeAt(0);
    if (first < 97 || first > 122) continue;
    const dot = key.indexOf('.');
    if (ECS_ROOTS.has(dot === -1 ? key : key.slice(0, dot))) return true;
  }
  return false;
}

/** `XmlWinEventLog:Microsoft-Windows-Sysmon/Operational` or `WinEventLog:Security`: the channel after the colon. */
function splunkChannel(source: unknown): string | undefined {
  const match = /^(?:Xml)?WinEventLog:(.+)$/i.exec(text(source) ?? '');
  return match?.[1];
}

/**
 * Whether the event data fields hold the text of the event's XML, entities and all: NXLog's im_msvistalog writes
 * `&lt;unknown process&gt;` and `&amp;` into them (its `Message` is decoded; only the fields are not), and Splunk's
 * XmlWinEventLog extractions take the text between the tags as it is. winlogbeat's and ECS values come decoded from
 * the Windows API: decoding them again would change a command line that really holds "&amp;", so they are left as
 * they are.
 */
function holdsXmlText(record: Fields): boolean {
  return Object.hasOwn(record, 'EventReceivedTime') || Object.hasOwn(record, 'SourceModuleType') || /^XmlWinEventLog:/i.test(text(record.source) ?? '');
}

/**
 * A record read as a Windows event; a class rather than closures per record, which millions of records make
 * costly. The times other than the event's own field are read only when asked for: most events have `UtcTime`.
 */
class WindowsEventRecord implements WindowsRecord {
  constructor(
    private readonly record: Fields,
    private readonly data: Fields,
    private readonly xml: boolean,
    readonly eventId: number,
    readonly channel: string,
    readonly computer: string | undefined,
    readonly recordId: string | undefined,
  ) {}

  get timestamp(): number | undefined {
    const stamp = Date.parse(text(this.record['@timestamp']) ?? text(this.record._time) ?? '');
    return Number.isNaN(stamp) ? undefined : stamp;
  }

  get nxlog(): WindowsRecord['nxlog'] {
    const eventTime = text(this.record.EventTime);
    return eventTime === undefined ? undefined : { eventTime, receivedTime: text(this.record.EventReceivedTime) };
  }

  /** Whether the record has a key an ECS field could be under, found on the first field the event data lacks. */
  private ecs: boolean | undefined;

  get(name: string): string | undefined {
    const value = this.field(name);
    if (value !== undefined) return value;
    this.ecs ??= mayHoldEcs(this.record);
    return this.ecs ? fromEcs(this.record, name) : undefined;
  }

  private field(name: string): string | undefined {
    // No own-property check (a call per field): a parsed record inherits only Object.prototype, whose members
    // are functions (and `__proto__` an object), which `text` reads as absent, like a missing field.
    const value = text(this.data[name]);
    return this.xml && value !== undefined && value.includes('&') ? text(unescapeXml(value)) : value;
  }
}

/** The record as a Windows event, or undefined when it is not one (no event id). */
export function windowsRecord(record: Fields): WindowsRecord | undefined {
  const winlog = isRecord(record.winlog) ? record.winlog : undefined;
  const data = winlog && isRecord(winlog.event_data) ? winlog.event_data : record;
  const eventId = integer(record.EventID ?? record.EventCode ?? winlog?.event_id ?? at(record, 'event.code'));
  if (eventId === undefined || eventId === 'invalid') return undefined;
  const channel =
    text(record.Channel) ??
    text(winlog?.channel) ??
    text(record.LogName) ??
    splunkChannel(record.source) ??
    text(record.SourceName) ??
    text(winlog?.provider_name) ??
    text(at(record, 'event.provider')) ??
    '';
  return new WindowsEventRecord(
    record,
    data,
    holdsXmlText(record),
    eventId,
    lowerCase(channel),
    text(record.Hostname) ?? text(winlog?.computer_name) ?? text(record.Computer) ?? text(at(record, 'host.name')),
    text(record.RecordNumber) ?? text(winlog?.record_id) ?? text(record.EventRecordID),
  );
}

/** The channel last lower-cased: the records of a log mostly share one, and lower-casing makes a new string. */
const lastChannel = { text: '', lower: '' };

function lowerCase(channel: string): string {
  if (channel !== lastChannel.text) {
    lastChannel.text = channel;
    lastChannel.lower = channel.toLowerCase();
  }
  return lastChannel.lower;
}

const QUARTER_HOUR = 15 * 60_000;

/**
 * When the event happened, for events without a UTC field (the Security log's WFP events). NXLog writes
 * `EventTime` in the collector's local time without a zone; Logstash's `@timestamp` is the UTC time it received
 * the line, close to NXLog's local `EventReceivedTime`. Their difference, rounded to a quarter hour, is the zone
 * offset. winlogbeat's `@timestamp` is the event's own time.
 */
export function securityEventTime(event: WindowsRecord): number | undefined {
  const { nxlog, timestamp } = event;
  if (!nxlog) return timestamp;
  const local = utcTime(nxlog.eventTime);
  if (local === undefined) return undefined;
  const received = utcTime(nxlog.receivedTime);
  if (received === undefined || timestamp === undefined) return local;
  return local + Math.round((timestamp - received) / QUARTER_HOUR) * QUARTER_HOUR;
}
