import type { ConnectionEvent } from '../../src/contracts/connection-event.js';
import { hash32 } from '../../src/dev/scenario/stable-hash.js';

const SYSMON = { channel: 'Microsoft-Windows-Sysmon/Operational', provider_name: 'Microsoft-Windows-Sysmon' };

/** Sysmon's ProcessGuid text: one per process instance (host, image and start time). */
const processGuid = (event: ConnectionEvent) => {
  const instance = `${event.device.hostname}:${event.process?.path ?? event.process?.name}:${event.process?.started_at ?? ''}`;
  return `{${hash32(instance).toString(16).padStart(8, '0')}-6a1f-6612-0b00-000000000900}`;
};

/** "2026-03-10 09:00:00.123", Sysmon's UtcTime. */
const utcTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 23);

/**
 * winlogbeat's JSON lines of the Sysmon channel: Event ID 1 the first time each process instance is seen (at its
 * start time when the event carries one, else a second before its first connection), then Event ID 3 per
 * connection, all data under `winlog.event_data` with Sysmon's own names and string values.
 */
export function* sysmonWinlogbeatLines(events: Iterable<ConnectionEvent>): Generator<string> {
  const created = new Set<string>();
  let record = 1_000;
  for (const event of events) {
    const guid = processGuid(event);
    const process = event.process;
    const host = event.device.hostname ?? '';
    const base = (eventId: number, time: number) => ({
      '@timestamp': new Date(time).toISOString(),
      agent: { type: 'winlogbeat', version: '8.15.0' },
      event: { code: String(eventId), kind: 'event', module: 'sysmon', provider: SYSMON.provider_name },
      host: { name: host.split('.')[0]?.toLowerCase() },
      winlog: { ...SYSMON, event_id: String(eventId), computer_name: host, record_id: record++, api: 'wineventlog' },
    });
    if (!created.has(guid) && process?.path !== undefined) {
      created.add(guid);
      const startedAt = process.started_at ?? event.time - 1_000;
      const started = base(1, startedAt);
      yield JSON.stringify({
        ...started,
        winlog: {
          ...started.winlog,
          event_data: {
            RuleName: '-',
            UtcTime: utcTime(startedAt),
            ProcessGuid: guid,
            ProcessId: String(process.pid ?? 4_000),
            Image: process.path,
            CommandLine: process.cmd_line ?? '',
            User: process.user ?? '',
            Hashes: `SHA1=${(process.sha1 ?? '').toUpperCase()},MD5=${'0'.repeat(32)}`,
            ParentImage: process.parent_path ?? `C:\\Windows\\System32\\${process.parent_name ?? 'services.exe'}`,
          },
        },
      });
    }
    const connected = base(3, event.time);
    yield JSON.stringify({
      ...connected,
      winlog: {
        ...connected.winlog,
        event_data: {
          RuleName: '-',
          UtcTime: utcTime(event.time),
          ProcessGuid: guid,
          ProcessId: String(process?.pid ?? 4_000),
          Image: process?.path ?? process?.name ?? '<unknown process>',
          User: process?.user ?? '',
          Protocol: event.protocol,
          Initiated: event.direction === 'inbound' ? 'false' : 'true',
          SourceIsIpv6: 'false',
          SourceIp: event.src_endpoint?.ip ?? event.device.ip ?? '',
          SourceHostname: '-',
          SourcePort: String(event.src_endpoint?.port ?? 50_000),
          SourcePortName: '-',
          DestinationIsIpv6: 'false',
          DestinationIp: event.dst_endpoint.ip ?? '',
          DestinationHostname: event.dst_endpoint.hostname ?? '-',
          DestinationPort: String(event.dst_endpoint.port ?? 0),
          DestinationPortName: '-',
        },
      },
    });
  }
}
