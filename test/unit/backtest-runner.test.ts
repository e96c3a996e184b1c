import { describe, expect, it } from 'vitest';
import type { ConnectionEvent } from '../../src/contracts/connection-event.js';
import { runBacktest, type BacktestInput } from '../../src/backtest/run-backtest.js';
import type { BacktestRequest } from '../../src/backtest/watch-of.js';
import { DetectionSettingsSchema } from '../../src/detect/settings.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const BLOCKED_AT = Date.parse('2026-11-27T10:00:00Z');

const request: BacktestRequest = {
  incident_id: 'INC-2041',
  blocked: [{ type: 'ip', value: '203.0.113.7' }],
  blocked_at: new Date(BLOCKED_AT).toISOString(),
  hosts: [
    { hostname: 'FIN-WS-042', ip: '10.20.1.42' },
    { hostname: 'FIN-WS-043', ip: '10.20.1.43' },
  ],
  watch: { duration: '1h', poll_interval: '60s' },
};
const settings = DetectionSettingsSchema.parse({ networks: { internal: ['10.20.0.0/16'], resolvers: ['10.20.0.53'] } });
const defaults = { durationMs: DAY, pollIntervalMs: 60_000, baselineMs: 7 * DAY };

const SYNC = 'C:\\Program Files\\Contoso\\Sync\\sync.exe';
const RUNDLL32 = 'C:\\Windows\\System32\\rundll32.exe';
let sequence = 0;

interface Fields {
  path?: string;
  ip?: string;
  port?: number;
  outcome?: ConnectionEvent['outcome'];
  source?: string;
  id?: string;
}

function connection(host: string, time: number, fields: Fields = {}): ConnectionEvent {
  sequence += 1;
  return {
    id: fields.id ?? `e${sequence}`,
    source: fields.source ?? 'mde-prod',
    time,
    device: { hostname: `${host.toLowerCase()}.corp.example` },
    process: { path: fields.path ?? SYNC },
    dst_endpoint: { ip: fields.ip ?? '52.113.194.132', port: fields.port ?? 443 },
    protocol: 'tcp',
    direction: 'outbound',
    outcome: fields.outcome ?? 'success',
  };
}

/**
 * Both hosts talk to Teams every ten minutes from a day before the block until after the window: an export that
 * reaches past the window's end covers all of it.
 */
function background(from = BLOCKED_AT - DAY, to = BLOCKED_AT + HOUR + 10 * MINUTE): ConnectionEvent[] {
  const events: ConnectionEvent[] = [];
  for (let time = from; time < to; time += 10 * MINUTE) events.push(connection('FIN-WS-042', time), connection('FIN-WS-043', time + 1_000));
  return events;
}

const run = (inputs: BacktestInput[], extra: Partial<BacktestRequest> = {}) => runBacktest({ request: { ...request, ...extra }, detection: settings, defaults, inputs });

describe('a backtest splits the telemetry at blocked_at and judges the window with the live detector', () => {
  it('known traffic is normal, a quiet LOLBin to a new address is a finding, retries of the blocked address are found', async () => {
    const result = await run([
      {
        name: 'export',
        role: 'events',
        events: [
          ...background(),
          connection('FIN-WS-042', BLOCKED_AT + 2 * MINUTE, { ip: '203.0.113.7', outcome: 'failure', path: RUNDLL32 }),
          connection('FIN-WS-042', BLOCKED_AT + 5 * MINUTE, { path: RUNDLL32, ip: '192.0.2.44', port: 8443 }),
        ],
      },
    ]);
    expect(result.findings.map((finding) => [finding.host, finding.process.name, finding.dst.ip, finding.kind.includes('blocked_retry')])).toEqual([
      ['FIN-WS-042', 'rundll32.exe', '203.0.113.7', true],
      ['FIN-WS-042', 'rundll32.exe', '192.0.2.44', false],
    ]);
    expect(result.watch).toMatchObject({ verdict: 'breached', state: 'closed', sources: ['mde-prod'], expires_at: '2026-11-27T11:00:00.000Z' });
    expect(result.stats.window.assessed).toMatchObject({ finding: 2, normal: 12 });
    expect(result.stats.baseline).toMatchObject({ events: 288, environmentHosts: 2 });
  });

  it('is held when the window holds only known traffic from every host, to its end', async () => {
    const result = await run([{ name: 'export', role: 'events', events: background() }]);
    expect(result.findings).toEqual([]);
    expect(result.watch.verdict).toBe('held');
    expect(result.coverage).toEqual([expect.objectContaining({ source: 'mde-prod', events_seen: 12, hosts_seen: ['FIN-WS-042', 'FIN-WS-043'], gaps: [] })]);
  });

  it('is inconclusive, naming the host, when a host has telemetry in the window but none before the block', async () => {
    const noHistoryFor043 = background().filter((event) => event.time >= BLOCKED_AT || event.device.hostname?.startsWith('fin-ws-042'));
    const result = await run([{ name: 'export', role: 'events', events: noHistoryFor043 }]);
    expect(result.findings).toEqual([]);
    expect(result.watch.verdict).toBe('inconclusive');
    expect(result.watch.verdict_reasons).toContain('no usable baseline for FIN-WS-043: new traffic there cannot be told from usual traffic');
  });

  it('is inconclusive when an export stops before the window ends, or a host sends nothing', async () => {
    const early = await run([{ name: 'export', role: 'events', events: background(BLOCKED_AT - DAY, BLOCKED_AT + 20 * MINUTE) }]);
    expect(early.watch.verdict).toBe('inconclusive');
    expect(early.watch.verdict_reasons?.[0]).toMatch(/^mde-prod could not be read for the last 2999s of the window/);
    expect(early.coverage[0]?.gaps).toEqual([{ from: '2026-11-27T10:10:01.000Z', to: '2026-11-27T11:00:00.000Z', reason: 'no telemetry in the input after this' }]);

    const only042 = background().filter((event) => event.device.hostname?.startsWith('fin-ws-042') || event.time < BLOCKED_AT);
    const silent = await run([{ name: 'export', role: 'events', events: only042 }]);
    expect(silent.watch.verdict).toBe('inconclusive');
    expect(silent.watch.verdict_reasons).toContain('no telemetry at all during the window from FIN-WS-043');
  });

  it('takes --baseline history whatever its date, and leaves out events older than the baseline window', async () => {
    const OLD = 'C:\\Users\\Public\\old.exe';
    const oldOnly = connection('FIN-WS-042', BLOCKED_AT - 10 * DAY, { path: OLD, ip: '198.51.100.9', port: 8080 });
    const laterRecording = connection('FIN-WS-042', BLOCKED_AT + 30 * DAY, { path: RUNDLL32, ip: '192.0.2.10', port: 8080 });
    const window = [
      connection('FIN-WS-042', BLOCKED_AT + MINUTE, { path: OLD, ip: '198.51.100.9', port: 8080 }),
      connection('FIN-WS-042', BLOCKED_AT + 2 * MINUTE, { path: RUNDLL32, ip: '192.0.2.10', port: 8080 }),
    ];
    const result = await run([
      { name: 'other-recording', role: 'baseline', events: [laterRecording] },
      { name: 'export', role: 'events', events: [...background(), oldOnly, ...window] },
    ]);
    expect(result.findings.map((finding) => finding.dst.ip)).toEqual(['198.51.100.9']);
    expect(result.stats.beforeBaseline).toBe(1);
  });

  it('judges an event given twice once, and nothing after the window', async () => {
    const retry = connection('FIN-WS-042', BLOCKED_AT + MINUTE, { ip: '203.0.113.7', outcome: 'blocked', id: 'same' });
    const result = await run([
      { name: 'a', role: 'events', events: [...background(), retry] },
      { name: 'b', role: 'events', events: [retry, connection('FIN-WS-042', BLOCKED_AT + 2 * HOUR, { ip: '203.0.113.7', outcome: 'blocked' })] },
    ]);
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]).toMatchObject({ count: 1, connected: false });
    expect(result.stats).toMatchObject({ duplicates: 1, window: { afterEnd: 3 } });
    // Retries that were all stopped: the block held, the implant lives.
    expect(result.watch.verdict).toBe('held');
    expect(result.watch.verdict_reasons?.[1]).toMatch(/still trying the blocked address from FIN-WS-042/);
  });

  it('ignores events of hosts outside the watch, but counts them towards the environment baseline', async () => {
    const result = await run([
      {
        name: 'export',
        role: 'events',
        events: [
          ...background(),
          connection('FIN-WS-099', BLOCKED_AT - HOUR, { path: RUNDLL32 }),
          connection('FIN-WS-099', BLOCKED_AT + MINUTE, { path: RUNDLL32, ip: '192.0.2.99' }),
        ],
      },
    ]);
    expect(result.findings).toEqual([]);
    expect(result.stats.window.otherHosts).toBe(1);
    expect(result.stats.baseline.environmentHosts).toBe(3);
  });
});
