import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectionEvent } from '../../src/contracts/connection-event.js';
import { inSwaggerNames, ipConnectEvent } from '../../src/sources/sentinelone/dev/dv-data.js';
import { startFakeSentinelone, type FakeSentinelone, type FakeSentineloneOptions } from '../../src/sources/sentinelone/dev/fake-sentinelone-server.js';
import type { Scenario, SimConnection } from '../../src/dev/scenario/index.js';
import { SentineloneConfigSchema, sentineloneConnector } from '../../src/sources/sentinelone/index.js';
import { buildIpConnectQuery } from '../../src/sources/sentinelone/s1ql.js';
import { SourceError } from '../../src/sources/source-error.js';
import type { HostRef, SourceConnector } from '../../src/sources/types.js';
import { CountingBudget, DAY_MS, MINUTE, aroundBlock, capturingLogger, expectSameConnections, fallbackScenario, countedByHand, prevalenceRows } from '../helpers/connector-test.js';

const SOURCE = 's1-test';

let fake: FakeSentinelone;
let scenario: Scenario;
let logLines: Record<string, unknown>[];
let budget: CountingBudget;
/** A token per test: query-status is limited per token, and tests should not wait on each other. */
let token: string;

async function startFake(options: Partial<FakeSentineloneOptions> = {}): Promise<void> {
  fake = await startFakeSentinelone({ scenario, apiToken: token, ...options });
}

beforeEach(async () => {
  logLines = [];
  budget = new CountingBudget();
  token = `s1-${randomBytes(16).toString('hex')}`;
  scenario = fallbackScenario();
  await startFake();
});

afterEach(async () => {
  await fake.close();
});

function connector(overrides: Record<string, unknown> = {}): SourceConnector {
  const config = SentineloneConfigSchema.parse({
    id: SOURCE,
    type: 'sentinelone',
    base_url: fake.url,
    api_token: token,
    timeout: '30s',
    max_retries: 2,
    ...overrides,
  });
  return sentineloneConnector.create(config, { logger: capturingLogger(logLines, 'debug'), budget });
}

const around = (beforeMs: number, afterMs: number) => aroundBlock(scenario, beforeMs, afterMs);
const allHosts = (): HostRef[] => scenario.hosts.map((host) => ({ hostname: host.hostname }));

const fromEvent = (event: ConnectionEvent) => ({
  host: event.device.hostname,
  uid: event.device.uid,
  time: event.time,
  path: event.process?.path,
  cmd_line: event.process?.cmd_line,
  pid: event.process?.pid,
  user: event.process?.user,
  parent: event.process?.parent_name,
  started_at: event.process?.started_at,
  dst: `${event.dst_endpoint.ip}:${event.dst_endpoint.port}`,
  protocol: event.protocol,
  outcome: event.outcome,
});
const fromSim = (connection: SimConnection) => ({
  host: connection.host.hostname,
  uid: connection.host.device_id.slice(0, 32),
  time: connection.time,
  path: connection.process.path,
  cmd_line: connection.process.cmd_line,
  pid: connection.process.pid,
  user: connection.process.user,
  parent: connection.process.parent,
  started_at: connection.process.started_at,
  dst: `${connection.dst.ip}:${connection.dst.port}`,
  protocol: connection.protocol,
  outcome: connection.outcome,
});

function expectScenarioEvents(events: ConnectionEvent[], range: { from: Date; to: Date }) {
  const expected = scenario.connections(range.from, range.to);
  expectSameConnections(events, expected, fromEvent, fromSim);
}

const requestsTo = (path: string) => fake.requests.filter((request) => request.path === `/web/api/v2.1/dv/${path}`);

describe('SentinelOne connector against the Deep Visibility fake', () => {
  it('returns the IP Connect events of hosts known by computer name, FQDN or agent UUID, normalized', async () => {
    const range = around(2 * MINUTE, 2 * MINUTE);
    const [ws41, ws42, ws43] = scenario.hosts;
    const hosts: HostRef[] = [{ hostname: ws41!.hostname.toLowerCase() }, { hostname: ws42!.fqdn }, { edr_id: ws43!.device_id.slice(0, 32) }];

    const events = await connector().fetchConnections({ hosts, ...range });

    expectScenarioEvents(events, range);
    const fallback = events.filter((event) => event.dst_endpoint.ip === '192.0.2.44');
    expect(fallback.length).toBeGreaterThan(5);
    expect(fallback[0]).toMatchObject({
      source: SOURCE,
      device: { hostname: 'FIN-WS-042', ip: '10.20.1.42' },
      process: {
        name: 'rundll32.exe',
        path: 'C:\\Windows\\System32\\rundll32.exe',
        cmd_line: 'rundll32.exe',
        user: 'CORP\\bernard.klein',
        parent_name: 'powershell.exe',
        parent_path: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
        started_at: scenario.fallback!.process.started_at,
      },
      dst_endpoint: { port: 8443 },
      protocol: 'tcp',
      direction: 'outbound',
      outcome: 'success',
    });
    expect(fallback[0]?.process?.started_at).toBeGreaterThan(scenario.blockedAt.getTime());
    expect(fallback[0]?.id).toMatch(/^s1:\d{19}$/);
    expect(requestsTo('init-query')[0]?.query).toEqual({
      eventType: 'IP Connect',
      agentNames: ['fin-ws-041', ws42!.fqdn, 'fin-ws-042'],
      agentUuids: [ws43!.device_id.slice(0, 32)],
    });
  });

  it('resolves hosts through the agents API and says why a host is not visible', async () => {
    const [ws41, ws42, ws43] = scenario.hosts;

    const visibility = await connector().resolveHosts!([
      { hostname: 'fin-ws-041' },
      { hostname: ws42!.fqdn.toUpperCase() },
      { edr_id: ws41!.device_id.slice(0, 32) },
      { hostname: 'FIN-WS-04' },
      { hostname: 'fin-ws-041,fin-ws-042' },
      { edr_id: 'f'.repeat(32) },
      { ip: ws43!.ip },
      // The address filter matches by substring: a prefix of every agent's address is no agent's address.
      { ip: '10.20.1.4' },
      {},
    ]);

    expect(visibility.map((entry) => [entry.visible, entry.device_id ?? entry.reason])).toEqual([
      [true, ws41!.device_id.slice(0, 32)],
      [true, ws42!.device_id.slice(0, 32)],
      [true, ws41!.device_id.slice(0, 32)],
      [false, 'no SentinelOne agent with this computer name'],
      [false, 'not a computer name SentinelOne can look up (it holds a comma)'],
      [false, 'no SentinelOne agent has this agent UUID'],
      [true, ws43!.device_id.slice(0, 32)],
      [false, 'no SentinelOne agent has this local IP'],
      [false, 'SentinelOne matches agents by computer name, agent UUID or local IP; none was given'],
    ]);
  });

  it('polls query-status at most once a second per token, even for two sources sharing the token', async () => {
    await fake.close();
    await startFake({ pollsBeforeFinished: 1 });
    const range = around(MINUTE, MINUTE);

    const [first, second] = await Promise.all([
      connector().fetchConnections({ hosts: allHosts(), ...range }),
      connector({ id: 's1-second' }).fetchConnections({ hosts: allHosts(), ...range }),
    ]);

    expect(first.map((event) => event.id)).toEqual(second.map((event) => event.id));
    expect(fake.statusRateViolations).toBe(0);
    expect(requestsTo('query-status')).toHaveLength(4);
    expect(budget.acquired).toBe(fake.requestCount());
  });

  it('pages dv/events by cursor and returns each event once', async () => {
    const range = around(2 * MINUTE, MINUTE);
    const expected = scenario.connections(range.from, range.to).length;

    const events = await connector({ page_size: 7 }).fetchConnections({ hosts: allHosts(), ...range });

    expectScenarioEvents(events, range);
    expect(requestsTo('events')).toHaveLength(Math.ceil(expected / 7));
  });

  it('splits a query that fills query_limit into halves of its range until every event is read', async () => {
    const range = around(MINUTE, MINUTE);
    const expected = scenario.connections(range.from, range.to).length;

    const events = await connector({ query_limit: Math.ceil(expected * 0.6) }).fetchConnections({ hosts: allHosts(), ...range });

    expectScenarioEvents(events, range);
    expect(requestsTo('init-query').length).toBeGreaterThanOrEqual(3);
  });

  it('waits out a 429 with Retry-After and retries a 500', async () => {
    fake.failNext({ kind: 'rate_limited', retryAfterSeconds: 1 }, { kind: 'server_error' });
    const range = around(MINUTE, MINUTE);

    const events = await connector().fetchConnections({ hosts: allHosts(), ...range });

    expectScenarioEvents(events, range);
    const retries = logLines.filter((line) => line.msg === 'vendor request failed, retrying');
    expect(retries.map(({ status, kind, wait_ms }) => ({ status, kind, wait: status === 429 ? wait_ms : 'backoff' }))).toEqual([
      { status: 429, kind: 'rate_limited', wait: 1_000 },
      { status: 500, kind: 'retryable', wait: 'backoff' },
    ]);
  });

  it('reports a refused API token at once as terminal, naming the source and never the token', async () => {
    fake.failNext({ kind: 'unauthorized' });

    const failure = await connector().fetchConnections({ hosts: allHosts(), ...around(MINUTE, 0) }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(SourceError);
    expect(failure).toMatchObject({ kind: 'terminal', status: 401, source: SOURCE });
    expect(String((failure as Error).message)).toMatch(/^s1-test: HTTP 401 .*4010010: Authentication failed/);
    expect(fake.requestCount()).toBe(1);
    expect(JSON.stringify(logLines)).not.toContain(token);
  });

  it('retries a truncated and an HTML body; a JSON body of another shape is a terminal error naming the call', async () => {
    fake.failNext({ kind: 'truncated' }, { kind: 'garbage' });
    const range = around(MINUTE, 0);
    expectScenarioEvents(await connector().fetchConnections({ hosts: allHosts(), ...range }), range);

    fake.failNext({ kind: 'unexpected_json' });
    const failure = await connector().fetchConnections({ hosts: allHosts(), ...range }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ kind: 'terminal', source: SOURCE });
    expect(String((failure as Error).message)).toContain('dv/init-query answered an unexpected body');
  });

  it('reads rows in only the 2.1 swagger’s field names (createdAt, direction, processName, pid...) into exactly the events of the newer names', async () => {
    const range = around(2 * MINUTE, MINUTE);
    const current = await connector().fetchConnections({ hosts: allHosts(), ...range });
    await fake.close();
    await startFake({ eventFieldNames: 'swagger' });

    const swagger = await connector().fetchConnections({ hosts: allHosts(), ...range });

    expectScenarioEvents(swagger, range);
    // The swagger has no name for the parent's image path: only that is lost.
    expect(current.every((event) => event.process?.parent_path !== undefined)).toBe(true);
    expect(swagger.filter((event) => event.process?.parent_path !== undefined)).toEqual([]);
    expect(swagger).toEqual(current.map((event) => ({ ...event, process: { ...event.process, parent_path: undefined } })));
    const row = inSwaggerNames(ipConnectEvent(scenario.connections(range.from, range.to)[0]!));
    expect(Object.keys(row).filter((name) => name === 'eventTime' || /^(srcProc|netConn|netEvent|netProtocol)/.test(name))).toEqual([]);
    expect(row).toMatchObject({ createdAt: expect.stringMatching(/\.\d{6}Z$/), direction: 'OUTGOING', pid: expect.stringMatching(/^\d+$/) });
  });

  it('reports a row with neither eventTime nor createdAt as a terminal error naming the field, in either naming', async () => {
    for (const eventFieldNames of ['current', 'swagger'] as const) {
      await fake.close();
      await startFake({ eventFieldNames, omitEventFields: ['eventTime', 'createdAt'] });

      const failure = await connector().fetchConnections({ hosts: allHosts(), ...around(MINUTE, 0) }).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(SourceError);
      expect(failure).toMatchObject({ kind: 'terminal', source: SOURCE });
      expect(String((failure as Error).message)).toContain(
        'Deep Visibility event 0 is not a readable IP Connect event (eventTime: Invalid input: expected eventTime or createdAt, received neither)',
      );
    }
  });

  it('sends hostile host names as single S1QL strings: the fake reads them back whole and nothing matches', async () => {
    const hostile = ['evil" OR AgentName In Contains Anycase ("FIN', 'back\\slash\\', 'x) OR (EventType = "IP Connect"'];

    const events = await connector().fetchConnections({ hosts: hostile.map((hostname) => ({ hostname })), ...around(MINUTE, 0) });

    expect(events).toEqual([]);
    expect(fake.queriedHostNames()).toEqual(hostile);
    expect(fake.requests.every((request) => request.status === 200 && !request.error)).toBe(true);
  });

  it('cancels the query when the caller aborts, and reports a query past query_timeout as retryable', async () => {
    await fake.close();
    await startFake({ pollsBeforeFinished: 1_000 });

    const aborted = await connector()
      .fetchConnections({ hosts: allHosts(), ...around(MINUTE, 0), signal: AbortSignal.timeout(300) })
      .catch((error: unknown) => error);
    expect(aborted).toMatchObject({ name: 'TimeoutError' });

    const late = await connector({ query_timeout: '2s' }).fetchConnections({ hosts: allHosts(), ...around(MINUTE, 0) }).catch((error: unknown) => error);
    expect(late).toMatchObject({ kind: 'retryable', source: SOURCE });
    expect(String((late as Error).message)).toContain('did not finish within 2000 ms');

    await expect.poll(() => requestsTo('cancel-query').length).toBe(2);
    expect(fake.statusRateViolations).toBe(0);
  });

  it('aggregates a 7-day baseline from fetched events, and says so when baseline_max_events cuts it', async () => {
    const range = around(7 * DAY_MS, 0);

    const entries = await connector().fetchBaseline({ hosts: allHosts(), ...range });

    const expected = new Map<string, { count: number; first: number; last: number }>();
    for (const c of scenario.connections(range.from, range.to)) {
      const key = JSON.stringify([c.host.hostname, c.process.path, c.dst.ip, c.dst.port, c.protocol]);
      const seen = expected.get(key);
      expected.set(key, seen ? { count: seen.count + 1, first: seen.first, last: c.time } : { count: 1, first: c.time, last: c.time });
    }
    const actual = new Map(
      entries.map((entry) => [
        JSON.stringify([entry.host, entry.process_path, entry.dst_ip, entry.dst_port, entry.protocol]),
        { count: entry.count, first: entry.first_seen, last: entry.last_seen },
      ]),
    );
    expect(actual).toEqual(expected);

    const cut = await connector({ baseline_max_events: 50, page_size: 25 }).fetchBaseline({ hosts: allHosts(), ...range });
    expect(cut.reduce((sum, entry) => sum + entry.count, 0)).toBe(50);
    expect(logLines.some((line) => line.msg === 'baseline larger than baseline_max_events; the rest of it is not read')).toBe(true);
  });

  it('gives the estate prevalence query prevalence_timeout, not the poll’s query_timeout', async () => {
    await fake.close();
    await startFake({ pollsBeforeFinished: 3 });
    const slow = connector({ query_timeout: '1s', prevalence_timeout: '1m' });
    const range = around(2 * MINUTE, MINUTE);

    const late = await slow.fetchConnections({ hosts: allHosts(), ...range }).catch((error: unknown) => error);
    expect(String((late as Error).message)).toContain('did not finish within 1000 ms');
    const answer = await slow.fetchPrevalence!({ ...range, minDestinationHosts: 1, maxDestinations: 1_000 });
    expect(answer.host_count).toBeGreaterThan(0);
    expect(answer.host_count).toBe(new Set(scenario.connections(range.from, range.to).map((c) => c.host.hostname)).size);
  });

  it('counts estate prevalence from one query with no agent term, and a read cut at prevalence_max_events is partial', async () => {
    const range = around(2 * MINUTE, MINUTE);
    const all = scenario.connections(range.from, range.to);
    const read = all.slice(0, 20);
    expect(all.length).toBeGreaterThan(read.length);

    const answer = await connector({ prevalence_max_events: 20, page_size: 7 }).fetchPrevalence!({ ...range, minDestinationHosts: 1, maxDestinations: 1_000 });

    expect(answer.partial).toBe(true);
    expect(prevalenceRows(answer)).toEqual(countedByHand(read, (c) => c.host.hostname.toLowerCase()));
    expect(countedByHand(read, (c) => c.host.hostname)).not.toEqual(countedByHand(all, (c) => c.host.hostname));
    expect(requestsTo('init-query').map((request) => request.query)).toEqual([
      { eventType: 'IP Connect', agentNames: [], agentUuids: [], everyAgent: true, netEventDirection: 'OUTGOING' },
    ]);
    expect(requestsTo('events')).toHaveLength(3);
    expect(logLines.some((line) => line.msg === 'estate prevalence larger than prevalence_max_events; counted from the events read')).toBe(true);
    expect(budget.acquired).toBe(fake.requestCount());
    expect(() => buildIpConnectQuery({ names: [], uuids: [] })).toThrow(RangeError);
  });

  it('does not return events before they are ingested, and returns the same ids once they are', async () => {
    const range = { from: new Date(Date.now() - 2 * MINUTE), to: new Date() };
    const source = connector();
    fake.ingestionDelayMs = MINUTE;
    const early = await source.fetchConnections({ hosts: allHosts(), ...range });
    fake.ingestionDelayMs = 0;
    const late = await source.fetchConnections({ hosts: allHosts(), ...range });

    expect(early.length).toBeGreaterThan(0);
    expect(late.length).toBeGreaterThan(early.length);
    const lateIds = new Set(late.map((event) => event.id));
    expect(early.every((event) => lateIds.has(event.id))).toBe(true);
  });

  it('names a misspelt key and defaults to 60 requests a minute', () => {
    const base = { id: SOURCE, type: 'sentinelone', base_url: 'https://usea1-acme.sentinelone.net', api_token: 't' };
    expect(SentineloneConfigSchema.parse(base)).toMatchObject({ rate_limit_per_minute: 60, page_size: 1_000, query_limit: 20_000 });
    const typo = SentineloneConfigSchema.safeParse({ ...base, api_tokn: 't' });
    expect(typo.success).toBe(false);
    expect(JSON.stringify(typo.error?.issues)).toContain('api_tokn');
  });
});
