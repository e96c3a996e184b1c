import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConnectionEvent } from '../../src/contracts/connection-event.js';
import { readTelemetryFile } from '../../src/backtest/input/read-file.js';
import { SysmonProcesses } from '../../src/backtest/readers/sysmon-processes.js';

const dir = mkdtempSync(join(tmpdir(), 'cw-events-'));

async function read(name: string, lines: readonly string[]): Promise<ConnectionEvent[]> {
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n'));
  const events: ConnectionEvent[] = [];
  for await (const event of readTelemetryFile(path, { processes: new SysmonProcesses() }, [])) events.push(event);
  return events;
}

const event: ConnectionEvent = {
  id: 'mde:dev-042:1:2026-03-10T09:00:00Z',
  source: 'mde-prod',
  time: 1773133200000,
  device: { hostname: 'FIN-WS-042', uid: 'dev-042', ip: '10.20.1.42' },
  process: { name: 'rundll32.exe', path: 'C:\\Windows\\System32\\rundll32.exe', cmd_line: 'rundll32.exe' },
  dst_endpoint: { ip: '192.0.2.44', port: 8443 },
  protocol: 'tcp',
  direction: 'outbound',
  outcome: 'success',
};

describe('normalized ConnectionEvent JSON lines', () => {
  it('reads what the live pipeline would see, blank lines and CRLF included', async () => {
    const events = await read('events.jsonl', [JSON.stringify(event), '', `${JSON.stringify({ ...event, id: 'second' })}\r`]);
    expect(events).toEqual([event, { ...event, id: 'second' }]);
  });

  it('drops fields the contract does not know', async () => {
    const [read1] = await read('extra.jsonl', [JSON.stringify({ ...event, extra: { deep: 1 } })]);
    expect(read1).toEqual(event);
  });

  it('names the line and the field that break the contract', async () => {
    await expect(read('float-time.jsonl', [JSON.stringify(event), JSON.stringify({ ...event, time: 1.5 })])).rejects.toThrow(
      /float-time\.jsonl line 2: not a ConnectionEvent: time:/,
    );
    await expect(read('direction.jsonl', [JSON.stringify({ ...event, direction: 'sideways' })])).rejects.toThrow(
      /direction\.jsonl line 1: not a ConnectionEvent: direction:/,
    );
  });

  it('refuses a file that is no telemetry it knows, naming the first line', async () => {
    await expect(read('notes.txt', ['', 'hello, world'])).rejects.toThrow(/notes\.txt line 2: not a known format/);
    await expect(read('other.jsonl', [JSON.stringify({ hello: 'world' })])).rejects.toThrow(/other\.jsonl line 1: a JSON object of no known format \(fields: hello\)/);
  });
});
