import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BaselineEntry, ConnectionEvent } from '../../src/contracts/connection-event.js';
import { startFakePanos, type FakePanos, type FakePanosOptions } from '../../src/sources/panos/dev/fake-panos-server.js';
import { BLOCKED_C2, FALLBACK_C2, type Scenario, type SimConnection } from '../../src/dev/scenario/index.js';
import { buildTrafficQuery } from '../../src/sources/panos/filter.js';
import { PanosConfigSchema, panosConnector } from '../../src/sources/panos/index.js';
import { SourceError } from '../../src/sources/source-error.js';
import type { HostRef, SourceConnector } from '../../src/sources/types.js';
import { CountingBudget, DAY_MS, MINUTE, aroundBlock, capturingLogger, expectSameConnections, fallbackScenario, sorted, countedByHand, prevalenceRows } from '../helpers/connector-test.js';

const SOURCE = 'panos-test';
const API_KEY = 'LUFRPT1-not-a-real-key==';

let fake: FakePanos;
let scenario: Scenario;
let logLines: Record<string, unknown>[];
let budget: CountingBudget;

async function restartFake(options: Partial<FakePanosOptions> = {}): Promise<void> {
  await fake?.close();
  fake = await startFakePanos({ scenario, apiKey: API_KEY, ...options });
}

beforeEach(async () => {
  logLines = [];
  budget = new CountingBudget();
  scenario = fallbackScenario();
  fake = await startFakePanos({ scenario, apiKey: API_KEY });
});

afterEach(async () => {
  await fake.close();
});

function connector(overrides: Record<string, unknown> = {}): SourceConnector {
  const config = PanosConfigSchema.parse({
    id: SOURCE,
    type: 'panos',
    base_url: fake.url,
    api_key: API_KEY,
    job_poll_interval: '50ms',
    timeout: '30s',
    ...overrides,
  });
  return panosConnector.create(config, { logger: capturingLogger(logLines, 'warn'), budget });
}

const around = (beforeMs: number, afterMs: number) => aroundBlock(scenario, beforeMs, afterMs);
const allHosts = (): HostRef[] => scenario.hosts.map((host) => ({ hostname: host.hostname, ip: host.ip }));

/** What a firewall sees of a connection: addresses, ports, protocol, and whether policy let it through. */
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

function expectScenarioEvents(events: ConnectionEvent[], range: { from: Date; to: Date }, ips?: string[]) {
  const expected = scenario.connections(range.from, range.to).filter((c) => !ips || ips.includes(c.host.ip));
  expectSameConnections(events, expected, fromEvent, (c) => fromSim(c));
}

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

describe('PAN-OS connector against the XML API log-query fake', () => {
  it('returns the sessions of the watched IPs, the blocked C2 retries as blocked, without processes', async () => {
    await restartFake({ timeZone: 'Europe/Paris' });
    const range = around(2 * MINUTE, 2 * MINUTE);

    const events = await connector({ timezone: 'Europe/Paris' }).fetchConnections({ hosts: allHosts(), ...range });

    expectScenarioEvents(events, range);
    const retries = events.filter((event) => event.dst_endpoint.ip === BLOCKED_C2.ip && event.time >= scenario.blockedAt.getTime());
    expect(retries.length).toBeGreaterThan(10);
    expect(new Set(retries.map((event) => event.outcome))).toEqual(new Set(['blocked']));
    const fallback = events.find((event) => event.dst_endpoint.ip === FALLBACK_C2.ip);
    expect(fallback).toMatchObject({ source: SOURCE, device: { ip: '10.20.1.42' }, protocol: 'tcp', direction: 'outbound', outcome: 'success' });
    expect(fallback?.process).toBeUndefined();
    expect(fallback?.bytes_out).toBeGreaterThan(0);
    expect(fallback?.id).toMatch(/^panos:013201009876:\d+$/);
  });

  it('reads firewall-local receive_time in the configured zone when there is no high_res_timestamp', async () => {
    await restartFake({ timeZone: 'America/New_York', highResTimestamps: false });
    const range = around(MINUTE, MINUTE);

    const events = await connector({ timezone: 'America/New_York' }).fetchConnections({ hosts: allHosts(), ...range });

    // Whole seconds only: an event is in range when its second is, at either end of the range.
    const second = (time: number) => Math.floor(time / 1_000) * 1_000;
    const expected = scenario
      .connections(new Date(range.from.getTime() - 1_000), new Date(range.to.getTime() + 1_000))
      .filter((c) => second(c.time) >= range.from.getTime() && second(c.time) < range.to.getTime())
      .map((c) => fromSim(c, 1_000));
    expect(sorted(events.map(fromEvent))).toEqual(sorted(expected));
  });

  it('queries by source address and local receive time, to a look-back after the range, oldest first, and leaves no job behind', async () => {
    await restartFake({ timeZone: 'Asia/Kolkata' });
    const range = { from: new Date('2026-11-29T10:00:00.250Z'), to: new Date('2026-11-29T10:05:00.000Z') };

    await connector({ timezone: 'Asia/Kolkata' }).fetchConnections({ hosts: allHosts(), ...range });

    const query = fake.requests[0]?.params.query;
    expect(query).toBe(
      "( addr.src in 10.20.1.41 or addr.src in 10.20.1.42 or addr.src in 10.20.1.43 ) and " +
        // A session of the range can be received up to the source's lag later, which lookback (10m) bounds.
        "( receive_time geq '2026/11/29 15:30:00' ) and ( receive_time leq '2026/11/29 15:44:59' )",
    );
    expect(fake.requests[0]?.params).toMatchObject({ type: 'log', 'log-type': 'traffic', dir: 'forward', nlogs: '1000', skip: '0' });
    expect(fake.queriedAddresses()).toEqual(['10.20.1.41', '10.20.1.42', '10.20.1.43']);
    expect(fake.openJobs()).toEqual([]);
    expect(budget.acquired).toBe(fake.requests.length);
  });

  it('pages with skip until a short page, each page one job, every session once', async () => {
    // The firewall's clock held still, so that what it has received by the time it answers is known.
    const frozen = Date.now();
    await restartFake({ now: () => frozen });
    const range = around(2 * MINUTE, MINUTE);
    // The firewall filters on whole seconds of receive_time, which the fake stamps as each session happens: it serves
    // the second `from` falls in whole and everything received since, up to the look-back (10m) after `to` (here
    // past its clock); the client trims.
    const served = scenario.connections(new Date(Math.floor(range.from.getTime() / 1_000) * 1_000), new Date(frozen + 1)).length;

    const events = await connector({ page_size: 20 }).fetchConnections({ hosts: allHosts(), ...range });

    expectScenarioEvents(events, range);
    const skips = fake.requests.filter((request) => request.params['log-type'] === 'traffic').map((request) => request.params.skip);
    expect(skips).toEqual(Array.from({ length: Math.floor(served / 20) + 1 }, (_, page) => String(page * 20)));
  });

  it('reads a session the management plane received after the range ended, as a close does once settle has passed', async () => {
    await restartFake({ ingestionDelayMs: 2 * MINUTE });
    const range = { from: new Date(Date.now() - 8 * MINUTE), to: new Date(Date.now() - 3 * MINUTE) };

    const events = await connector().fetchConnections({ hosts: allHosts(), ...range });

    // Every session of the range is received by now; those of its last two minutes were received after its end.
    expectScenarioEvents(events, range);
    expect(events.some((event) => event.time >= range.to.getTime() - 2 * MINUTE)).toBe(true);
  });

  it('sees only hosts with an IP, and says why it cannot see the others', async () => {
    const source = connector();
    const visibility = await source.resolveHosts!([{ hostname: 'FIN-WS-042' }, { hostname: 'x', ip: '10.20.1.400' }, { ip: '10.20.1.41' }]);

    expect(visibility.map(({ visible }) => visible)).toEqual([false, false, true]);
    expect(visibility[0]?.reason).toMatch(/by IP address only; no ip/);
    expect(visibility[1]?.reason).toMatch(/not a valid IPv4 or IPv6/);
    expect(await source.fetchConnections({ hosts: [{ hostname: 'FIN-WS-042' }, { ip: '1.2.3.4) or (addr.src in 0.0.0.0/0' }], ...around(MINUTE, 0) })).toEqual([]);
    expect(fake.requests).toHaveLength(0);
  });

  it('reports a rejected API key as terminal, with the firewall’s message', async () => {
    const error = await failure(connector({ api_key: 'wrong-key' }).fetchConnections({ hosts: allHosts(), ...around(MINUTE, 0) }));

    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ kind: 'terminal', status: 403, source: SOURCE });
    expect(String((error as Error).message)).toMatch(/^panos-test: HTTP 403 .*Invalid Credential/);
  });

  it('turns <response status="error"> into errors by code: a timed-out session is retried, a bad request is not', async () => {
    fake.failNextWith('22', 'Session timed out');
    const range = around(MINUTE, 0);
    expect((await connector().fetchConnections({ hosts: allHosts(), ...range })).length).toBeGreaterThan(0);
    expect(logLines.filter((line) => line.kind === 'retryable')).toHaveLength(1);

    fake.failNextWith('400', 'Invalid query string');
    const error = await failure(connector().fetchConnections({ hosts: allHosts(), ...range }));
    expect(error).toMatchObject({ kind: 'terminal', source: SOURCE });
    expect(String((error as Error).message)).toContain('code 400: Invalid query string');
  });

  it('retries an HTML page and a cut XML body, and fails clearly when they persist', async () => {
    fake.failNext({ kind: 'garbage' }, { kind: 'truncated' });
    expect((await connector().fetchConnections({ hosts: allHosts(), ...around(MINUTE, 0) })).length).toBeGreaterThan(0);

    fake.failNext({ kind: 'truncated' }, { kind: 'truncated' }, { kind: 'truncated' });
    const error = await failure(connector({ max_retries: 2 }).fetchConnections({ hosts: allHosts(), ...around(MINUTE, 0) }));
    expect(error).toMatchObject({ kind: 'retryable', source: SOURCE });
    expect(String((error as Error).message)).toContain('not a complete XML API <response>');
  });

  it('finishes a job still running at job_timeout and reports it as retryable', async () => {
    await restartFake({ checksUntilDone: Number.POSITIVE_INFINITY });

    const error = await failure(connector({ job_timeout: '1s' }).fetchConnections({ hosts: allHosts(), ...around(MINUTE, 0) }));

    expect(error).toMatchObject({ kind: 'retryable', source: SOURCE });
    expect(fake.requests.at(-1)?.params).toMatchObject({ type: 'log', action: 'finish' });
    expect(fake.openJobs()).toEqual([]);
  });

  it('fails a poll that needs more than max_pages, and cuts a baseline there with a warning', async () => {
    const range = around(2 * MINUTE, MINUTE);
    const error = await failure(connector({ page_size: 10, max_pages: 2 }).fetchConnections({ hosts: allHosts(), ...range }));
    expect(error).toMatchObject({ kind: 'terminal', source: SOURCE });
    expect(String((error as Error).message)).toContain('max_pages');

    const entries = await connector({ page_size: 10, max_pages: 2 }).fetchBaseline({ hosts: allHosts(), ...range });
    // Two pages of ten sessions were read; the firewall's whole-second filter also brings the sessions of the second
    // just before `from`, which the client trims.
    const secondStart = new Date(Math.floor(range.from.getTime() / 1_000) * 1_000);
    const trimmed = scenario.connections(secondStart, range.from).length;
    const sessions = entries.reduce((sum, entry) => sum + entry.count, 0);
    expect(sessions).toBe(20 - Math.min(trimmed, 20));
    expect(logLines.some((line) => line.msg === 'baseline larger than max_pages; the rest of it is not read')).toBe(true);
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
    // On a whole second, so that the firewall's whole-second filter brings nothing from before `from`.
    const from = new Date(Math.floor((scenario.blockedAt.getTime() - 2 * MINUTE) / 1_000) * 1_000);
    const range = { from, to: new Date(scenario.blockedAt.getTime() + MINUTE) };
    const all = scenario.connections(range.from, range.to);
    const read = all.slice(0, 20);
    expect(all.length).toBeGreaterThan(read.length);

    const answer = await connector({ prevalence_max_events: 20, page_size: 7 }).fetchPrevalence!({ ...range, minDestinationHosts: 1, maxDestinations: 1_000 });

    expect(answer.partial).toBe(true);
    expect(prevalenceRows(answer)).toEqual(countedByHand(read, (c) => c.host.ip));
    expect(countedByHand(read, (c) => c.host.ip)).not.toEqual(countedByHand(all, (c) => c.host.ip));
    const jobs = fake.requests.filter((request) => request.params['log-type'] === 'traffic').map((request) => request.params);
    expect(jobs.map(({ skip, nlogs }) => [skip, nlogs])).toEqual([['0', '7'], ['7', '7'], ['14', '6']]);
    expect(new Set(jobs.map((params) => params.query))).toEqual(new Set([expect.stringMatching(/^\( receive_time geq '[^']+' \) and \( receive_time leq '[^']+' \)$/)]));
    expect(fake.queriedAddresses()).toEqual([]);
    expect(fake.openJobs()).toEqual([]);
    expect(logLines.some((line) => line.msg === 'estate prevalence larger than prevalence_max_events; counted from the logs read')).toBe(true);
    expect(budget.acquired).toBe(fake.requests.length);
    expect(() => buildTrafficQuery({ ips: [], ...range, timeZone: 'UTC' })).toThrow(RangeError);
  });

  it('names a misspelt config key and an unknown time zone', () => {
    const base = { id: 'x', type: 'panos', base_url: 'https://fw.example', api_key: 'k' };

    expect(JSON.stringify(PanosConfigSchema.safeParse({ ...base, time_zone: 'UTC' }).error?.issues)).toContain('time_zone');
    expect(PanosConfigSchema.safeParse({ ...base, timezone: 'Mars/Olympus' }).error?.issues[0]?.path).toEqual(['timezone']);
  });
});
