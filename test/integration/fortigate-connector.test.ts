import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BaselineEntry, ConnectionEvent } from '../../src/contracts/connection-event.js';
import { startFakeFortigate, type FakeFortigate, type FakeFortigateOptions } from '../../src/sources/fortigate/dev/fake-fortigate-server.js';
import { BLOCKED_C2, FALLBACK_C2, type Scenario, type SimConnection } from '../../src/dev/scenario/index.js';
import { buildTrafficFilters } from '../../src/sources/fortigate/filter.js';
import { FortigateConfigSchema, fortigateConnector } from '../../src/sources/fortigate/index.js';
import { SourceError } from '../../src/sources/source-error.js';
import type { HostRef, SourceConnector } from '../../src/sources/types.js';
import { CountingBudget, DAY_MS, MINUTE, aroundBlock, capturingLogger, expectSameConnections, fallbackScenario, sorted, countedByHand, prevalenceRows } from '../helpers/connector-test.js';

const SOURCE = 'fortigate-test';
const TOKEN = 'fgt-api-token-not-real-0001';

let fake: FakeFortigate;
let scenario: Scenario;
let logLines: Record<string, unknown>[];
let budget: CountingBudget;

async function restartFake(options: Partial<FakeFortigateOptions> = {}): Promise<void> {
  await fake.close();
  fake = await startFakeFortigate({ scenario, token: TOKEN, ...options });
}

beforeEach(async () => {
  logLines = [];
  budget = new CountingBudget();
  scenario = fallbackScenario();
  fake = await startFakeFortigate({ scenario, token: TOKEN });
});

afterEach(async () => {
  await fake.close();
});

function connector(overrides: Record<string, unknown> = {}): SourceConnector {
  const config = FortigateConfigSchema.parse({
    id: SOURCE,
    type: 'fortigate',
    base_url: fake.url,
    token: TOKEN,
    job_poll_interval: '50ms',
    timeout: '1s',
    ...overrides,
  });
  return fortigateConnector.create(config, { logger: capturingLogger(logLines, 'warn'), budget });
}

const around = (beforeMs: number, afterMs: number) => aroundBlock(scenario, beforeMs, afterMs);
const allHosts = (): HostRef[] => scenario.hosts.map((host) => ({ hostname: host.hostname, ip: host.ip }));

const fromEvent = (event: ConnectionEvent) => ({
  ip: event.device.ip,
  time: event.time,
  dst: `${event.dst_endpoint.ip}:${event.dst_endpoint.port}`,
  protocol: event.protocol,
  outcome: event.outcome,
});
const fromSim = (connection: SimConnection, precisionMs = 1) => ({
  ip: connection.host.ip,
  time: Math.floor(connection.time / precisionMs) * precisionMs,
  dst: `${connection.dst.ip}:${connection.dst.port}`,
  protocol: connection.protocol,
  outcome: connection.outcome === 'failure' ? 'blocked' : 'success',
});

function expectScenarioEvents(events: ConnectionEvent[], range: { from: Date; to: Date }) {
  const expected = scenario.connections(range.from, range.to);
  expectSameConnections(events, expected, fromEvent, (c) => fromSim(c));
}

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

describe('FortiGate connector against the FortiOS log API fake', () => {
  it('returns the forward-traffic sessions of the watched IPs, denied C2 retries as blocked, to the millisecond', async () => {
    const range = around(2 * MINUTE, 2 * MINUTE);

    const events = await connector().fetchConnections({ hosts: allHosts(), ...range });

    expectScenarioEvents(events, range);
    const retries = events.filter((event) => event.dst_endpoint.ip === BLOCKED_C2.ip && event.time >= scenario.blockedAt.getTime());
    expect(retries.length).toBeGreaterThan(10);
    expect(new Set(retries.map((event) => event.outcome))).toEqual(new Set(['blocked']));
    const fallback = events.find((event) => event.dst_endpoint.ip === FALLBACK_C2.ip);
    expect(fallback).toMatchObject({ source: SOURCE, device: { ip: '10.20.1.42' }, protocol: 'tcp', direction: 'outbound', outcome: 'success' });
    expect(fallback?.process).toBeUndefined();
    expect(fallback?.id).toMatch(/^fortigate:FGT60FTK2209A1B2:0000000013:\d+:\d{19}$/);
  });

  it('filters by source address and log timestamp, in the configured VDOM and log device', async () => {
    await restartFake({ vdoms: ['root', 'branch'] });
    const range = around(MINUTE, 0);

    await connector({ vdom: 'branch', log_device: 'memory' }).fetchConnections({ hosts: allHosts(), ...range });

    const request = fake.requests[0];
    expect(request?.path).toBe('/api/v2/log/memory/traffic/forward');
    expect(request?.query).toMatchObject({
      vdom: 'branch',
      rows: '1000',
      start: '0',
      filter: [
        'srcip==10.20.1.41,srcip==10.20.1.42,srcip==10.20.1.43',
        `_metadata.timestamp>=${range.from.getTime()}`,
        `_metadata.timestamp<${range.to.getTime()}`,
      ],
    });
    expect(fake.queriedAddresses()).toEqual(['10.20.1.41', '10.20.1.42', '10.20.1.43']);
    expect(budget.acquired).toBe(fake.requests.length);
  });

  it('pages with start until a short page and returns every session once', async () => {
    const range = around(2 * MINUTE, MINUTE);
    const expected = scenario.connections(range.from, range.to).length;

    const events = await connector({ page_size: 20 }).fetchConnections({ hosts: allHosts(), ...range });

    expectScenarioEvents(events, range);
    expect(fake.requests.map((request) => request.query.start)).toEqual(Array.from({ length: Math.floor(expected / 20) + 1 }, (_, page) => String(page * 20)));
  });

  it('follows a FortiAnalyzer session: opens it, waits for completed 100 on every page, keeps its session_id', async () => {
    const range = around(2 * MINUTE, MINUTE);
    const expected = scenario.connections(range.from, range.to).length;
    const pages = Math.floor(expected / 30) + 1;

    const events = await connector({ log_device: 'fortianalyzer', page_size: 30, serial_no: 'FGT60FTK2209A1B2' }).fetchConnections({ hosts: allHosts(), ...range });

    expectScenarioEvents(events, range);
    const [opening, ...polls] = fake.requests;
    expect(opening?.path).toBe('/api/v2/log/fortianalyzer/traffic/forward');
    expect(opening?.query).toMatchObject({ serial_no: 'FGT60FTK2209A1B2' });
    expect(opening?.query.session_id).toBeUndefined();
    expect(polls).toHaveLength(2 * pages);
    expect(new Set(polls.map((request) => request.query.session_id))).toEqual(new Set(['4100']));
  });

  it.each(['us', 's'] as const)('reads an eventtime written in %s by its magnitude', async (eventtimeUnit) => {
    await restartFake({ eventtimeUnit });
    const range = around(MINUTE, MINUTE);

    const events = await connector().fetchConnections({ hosts: allHosts(), ...range });

    const precision = eventtimeUnit === 's' ? 1_000 : 1;
    const expected = scenario
      .connections(new Date(range.from.getTime() - 1_000), range.to)
      .filter((c) => Math.floor(c.time / precision) * precision >= range.from.getTime())
      .map((c) => fromSim(c, precision));
    expect(sorted(events.map(fromEvent))).toEqual(sorted(expected));
  });

  it('sees only hosts with an IP and never puts anything else in a filter', async () => {
    const source = connector();
    const visibility = await source.resolveHosts!([{ hostname: 'FIN-WS-042' }, { ip: '10.20.1.41' }]);

    expect(visibility).toEqual([
      { host: { hostname: 'FIN-WS-042' }, visible: false, reason: 'FortiGate logs traffic by IP address only; no ip was given for this host' },
      { host: { ip: '10.20.1.41' }, visible: true },
    ]);
    expect(await source.fetchConnections({ hosts: [{ hostname: 'x' }, { ip: '10.0.0.1,srcip!=0.0.0.0' }], ...around(MINUTE, 0) })).toEqual([]);
    expect(fake.requests).toHaveLength(0);
  });

  it('reports a rejected token and a VDOM out of reach as terminal errors naming the source', async () => {
    const token = await failure(connector({ token: 'wrong' }).fetchConnections({ hosts: allHosts(), ...around(MINUTE, 0) }));
    const vdom = await failure(connector({ vdom: 'dmz' }).fetchConnections({ hosts: allHosts(), ...around(MINUTE, 0) }));

    expect(token).toBeInstanceOf(SourceError);
    expect(token).toMatchObject({ kind: 'terminal', status: 401, source: SOURCE });
    expect(vdom).toMatchObject({ kind: 'terminal', status: 403, source: SOURCE });
  });

  it('waits out a 429 with its Retry-After, retries a 500 and a timeout, and loses nothing', async () => {
    fake.failNext({ kind: 'rate_limited', retryAfterSeconds: 1 }, { kind: 'server_error' }, { kind: 'timeout' });
    const range = around(MINUTE, MINUTE);

    const events = await connector({ max_retries: 3 }).fetchConnections({ hosts: allHosts(), ...range });

    expectScenarioEvents(events, range);
    const retries = logLines.filter((line) => line.msg === 'vendor request failed, retrying');
    expect(retries.map(({ kind }) => kind)).toEqual(['rate_limited', 'retryable', 'retryable']);
    expect(retries[0]?.wait_ms).toBe(1_000);
  });

  it('fails a poll that needs more than max_pages', async () => {
    const error = await failure(connector({ page_size: 10, max_pages: 2 }).fetchConnections({ hosts: allHosts(), ...around(2 * MINUTE, MINUTE) }));

    expect(error).toMatchObject({ kind: 'terminal', source: SOURCE });
    expect(String((error as Error).message)).toContain('max_pages');
  });

  it('builds a 7-day baseline per host (found by its source IP), destination, port and protocol from the sessions read', async () => {
    const range = around(7 * DAY_MS, 0);

    const entries = await connector({ page_size: 2_000 }).fetchBaseline({ hosts: allHosts(), ...range });

    const expected = new Map<string, BaselineEntry>();
    for (const c of scenario.connections(range.from, range.to)) {
      const entry: BaselineEntry = { host: c.host.hostname, dst_ip: c.dst.ip, dst_port: c.dst.port, protocol: c.protocol, count: 1, first_seen: c.time, last_seen: c.time };
      const key = JSON.stringify([entry.host, entry.dst_ip, entry.dst_port, entry.protocol]);
      const seen = expected.get(key);
      expected.set(key, seen ? { ...seen, count: seen.count + 1, last_seen: c.time } : entry);
    }
    const comparable = (entry: BaselineEntry) => JSON.parse(JSON.stringify(entry)) as BaselineEntry;
    expect(sorted(entries.map(comparable))).toEqual(sorted([...expected.values()]));
  });

  it('counts estate prevalence from every source address, and a read cut at prevalence_max_events is partial', async () => {
    const range = around(2 * MINUTE, MINUTE);
    const all = scenario.connections(range.from, range.to);
    // The log API answers newest first.
    const read = all.slice(-20);
    expect(all.length).toBeGreaterThan(read.length);

    const answer = await connector({ prevalence_max_events: 20, page_size: 7 }).fetchPrevalence!({ ...range, minDestinationHosts: 1, maxDestinations: 1_000 });

    expect(answer.partial).toBe(true);
    expect(prevalenceRows(answer)).toEqual(countedByHand(read, (c) => c.host.ip));
    expect(countedByHand(read, (c) => c.host.ip)).not.toEqual(countedByHand(all, (c) => c.host.ip));
    expect(fake.requests.map(({ query }) => [query.start, query.rows])).toEqual([['0', '7'], ['7', '7'], ['14', '6']]);
    for (const request of fake.requests) {
      expect(request.query.filter).toEqual([`_metadata.timestamp>=${range.from.getTime()}`, `_metadata.timestamp<${range.to.getTime()}`]);
    }
    expect(fake.queriedAddresses()).toEqual([]);
    expect(logLines.some((line) => line.msg === 'estate prevalence larger than prevalence_max_events; counted from the logs read')).toBe(true);
    expect(budget.acquired).toBe(fake.requests.length);
    expect(() => buildTrafficFilters({ ips: [], ...range, unit: 'ms' })).toThrow(RangeError);
  });

  it('names a misspelt config key', () => {
    const parsed = FortigateConfigSchema.safeParse({ id: 'x', type: 'fortigate', base_url: 'https://fgt.example', token: 't', log_devise: 'disk' });

    expect(JSON.stringify(parsed.error?.issues)).toContain('log_devise');
  });
});
