import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BaselineEntry, ConnectionEvent } from '../../src/contracts/connection-event.js';
import { startFakeMde, type FakeMde } from '../../src/sources/mde/dev/fake-mde-server.js';
import type { Scenario, SimConnection } from '../../src/dev/scenario/index.js';
import { redisKeys } from '../../src/lib/keys.js';
import { RedisRequestBudget, type RequestBudget } from '../../src/sources/http/request-budget.js';
import { MdeConfigSchema, mdeConnector } from '../../src/sources/mde/index.js';
import { SourceError } from '../../src/sources/source-error.js';
import type { HostRef, SourceConnector } from '../../src/sources/types.js';
import { TEST_REDIS_URL, dropPrefix, uniquePrefix } from '../helpers/redis.js';
import { DAY_MS, MINUTE, aroundBlock, capturingLogger, expectSameConnections, fallbackScenario, sorted } from '../helpers/connector-test.js';

const SOURCE = 'mde-test';
const TENANT = 'contoso-test';
const CLIENT = { id: 'app-0001', secret: 'not-a-real-secret-0123' };

let redis: Redis;
let prefix: string;
let fake: FakeMde;
let scenario: Scenario;
let logLines: Record<string, unknown>[];

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  await redis.quit();
});

beforeEach(async () => {
  prefix = uniquePrefix('mde');
  logLines = [];
  scenario = fallbackScenario();
  fake = await startFakeMde({ scenario, tenantId: TENANT, clientId: CLIENT.id, clientSecret: CLIENT.secret });
});

afterEach(async () => {
  await fake.close();
  await dropPrefix(prefix);
});

const budget = (requestsPerMinute = 600): RequestBudget =>
  new RedisRequestBudget({ redis, keyPrefix: prefix, sourceId: SOURCE, requestsPerMinute });

function connector(overrides: Record<string, unknown> = {}, requestBudget: RequestBudget = budget()): SourceConnector {
  const config = MdeConfigSchema.parse({
    id: SOURCE,
    type: 'mde',
    tenant_id: TENANT,
    client_id: CLIENT.id,
    client_secret: CLIENT.secret,
    base_url: fake.url,
    token_url: fake.url,
    ...overrides,
  });
  return mdeConnector.create(config, { logger: capturingLogger(logLines, 'warn'), budget: requestBudget });
}

const around = (beforeMs: number, afterMs: number) => aroundBlock(scenario, beforeMs, afterMs);
const allHosts = (): HostRef[] => scenario.hosts.map((host) => ({ hostname: host.hostname }));

/** What any source must report about a connection, whatever its wire format. */
const fromEvent = (event: ConnectionEvent) => ({
  host: event.device.hostname,
  uid: event.device.uid,
  time: event.time,
  process: event.process?.path,
  cmd_line: event.process?.cmd_line,
  pid: event.process?.pid,
  parent: event.process?.parent_name,
  started_at: event.process?.started_at,
  dst: `${event.dst_endpoint.ip}:${event.dst_endpoint.port}`,
  dst_host: event.dst_endpoint.hostname,
  protocol: event.protocol,
  outcome: event.outcome,
});
const fromSim = (connection: SimConnection) => ({
  host: connection.host.fqdn,
  uid: connection.host.device_id,
  time: connection.time,
  process: connection.process.path,
  cmd_line: connection.process.cmd_line,
  pid: connection.process.pid,
  parent: connection.process.parent,
  started_at: connection.process.started_at,
  dst: `${connection.dst.ip}:${connection.dst.port}`,
  dst_host: connection.dst.hostname,
  protocol: connection.protocol,
  outcome: connection.outcome,
});

function expectScenarioEvents(events: ConnectionEvent[], range: { from: Date; to: Date }, fqdns?: string[]) {
  const expected = scenario.connections(range.from, range.to).filter((c) => !fqdns || fqdns.includes(c.host.fqdn));
  expectSameConnections(events, expected, fromEvent, fromSim);
}

describe('MDE connector against the Graph runHuntingQuery fake', () => {
  it('returns the scenario connections of the watched hosts, normalized, whatever identifier each host is known by', async () => {
    const range = around(2 * MINUTE, 2 * MINUTE);
    const [ws41, ws42, ws43] = scenario.hosts;
    const hosts: HostRef[] = [{ hostname: ws41?.hostname }, { hostname: ws42?.fqdn.toUpperCase() }, { edr_id: ws43?.device_id, ip: ws43?.ip }];

    const events = await connector().fetchConnections({ hosts, ...range });

    expectScenarioEvents(events, range);
    const fallback = events.filter((event) => event.dst_endpoint.ip === '192.0.2.44');
    expect(fallback.length).toBeGreaterThan(5);
    expect(fallback[0]).toMatchObject({
      source: SOURCE,
      device: { hostname: 'fin-ws-042.corp.example', ip: '10.20.1.42' },
      process: { name: 'rundll32.exe', path: 'C:\\Windows\\System32\\rundll32.exe', cmd_line: 'rundll32.exe', user: 'corp\\bernard.klein', parent_name: 'powershell.exe' },
      dst_endpoint: { port: 8443 },
      protocol: 'tcp',
      direction: 'outbound',
      outcome: 'success',
    });
    expect(fallback[0]?.process?.signer).toBeUndefined();
    // InitiatingProcessCreationTime: the fallback's rundll32 first ran after the block; MDE has no parent path column.
    expect(fallback[0]?.process?.started_at).toBe(scenario.fallback!.process.started_at);
    expect(fallback[0]?.process?.started_at).toBeGreaterThan(scenario.blockedAt.getTime());
    expect(events.filter((event) => event.process?.parent_path !== undefined)).toEqual([]);
    expect(fallback[0]?.id).toMatch(/^mde:[0-9a-f]{40}:\d+:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    const retries = events.filter((event) => event.dst_endpoint.ip === '203.0.113.7' && event.time >= scenario.blockedAt.getTime());
    expect(retries.length).toBeGreaterThan(10);
    expect(new Set(retries.map((event) => event.outcome))).toEqual(new Set(['failure']));
    expect(events.find((event) => event.protocol === 'udp' && event.dst_endpoint.port === 53)).toBeDefined();
  });

  it('fetches one token, shared by concurrent queries and reused by later ones', async () => {
    const source = connector();
    await Promise.all([
      source.fetchConnections({ hosts: allHosts(), ...around(MINUTE, MINUTE) }),
      source.fetchConnections({ hosts: allHosts(), ...around(0, 2 * MINUTE) }),
    ]);
    await source.fetchBaseline({ hosts: allHosts(), ...around(DAY_MS, 0) });

    expect(fake.requests.map((request) => request.status)).toEqual([200, 200, 200]);
    expect(fake.tokenRequests).toBe(1);
  });

  it('waits out a 429 with Retry-After, retries a 500, and returns every event exactly once', async () => {
    fake.failNext({ status: 429, retryAfterSeconds: 1 }, { status: 500 });
    const range = around(MINUTE, MINUTE);
    const started = Date.now();

    const events = await connector().fetchConnections({ hosts: allHosts(), ...range });

    // Timers may fire a millisecond early against Date.now(); the log line below carries the exact wait.
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    expectScenarioEvents(events, range);
    expect(fake.requests.map((request) => request.status)).toEqual([429, 500, 200]);
    const retries = logLines.filter((line) => line.msg === 'vendor request failed, retrying');
    expect(retries.map(({ source, attempt, status, kind }) => ({ source, attempt, status, kind }))).toEqual([
      { source: SOURCE, attempt: 1, status: 429, kind: 'rate_limited' },
      { source: SOURCE, attempt: 2, status: 500, kind: 'retryable' },
    ]);
    expect(retries[0]?.wait_ms).toBe(1_000);
    expect(JSON.stringify(logLines)).not.toContain(CLIENT.secret);
  });

  it('retries a truncated body, an HTML body and a dropped connection', async () => {
    fake.failNext({ body: 'truncated' }, { body: 'garbage' }, { drop: true });
    const range = around(MINUTE, 0);

    const events = await connector().fetchConnections({ hosts: allHosts(), ...range });

    expectScenarioEvents(events, range);
    expect(fake.requests).toHaveLength(4);
    expect(logLines.filter((line) => line.kind === 'retryable')).toHaveLength(3);
  });

  it('fails at once as rate_limited when the server asks for a longer wait than the client accepts', async () => {
    fake.failNext({ status: 429, retryAfterSeconds: 600 });

    const failure = await connector().fetchConnections({ hosts: allHosts(), ...around(MINUTE, 0) }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(SourceError);
    expect(failure).toMatchObject({ kind: 'rate_limited', retryAfterMs: 600_000, source: SOURCE });
    expect(fake.requests).toHaveLength(1);
  });

  it('pages with a small page size and returns every event once', async () => {
    const range = around(2 * MINUTE, MINUTE);
    const expected = scenario.connections(range.from, range.to).length;

    const events = await connector({ page_size: 7 }).fetchConnections({ hosts: allHosts(), ...range });

    expectScenarioEvents(events, range);
    expect(fake.requests).toHaveLength(Math.floor(expected / 7) + 1);
    expect(fake.requests.every((request) => request.status === 200 && request.query?.take === 7)).toBe(true);
    expect(fake.requests.slice(1).every((request) => request.query?.kind === 'rows' && request.query.after !== undefined)).toBe(true);
  });

  it('refreshes a revoked token once and carries on', async () => {
    const source = connector();
    await source.fetchConnections({ hosts: allHosts(), ...around(MINUTE, 0) });
    fake.revokeTokens();

    const range = around(0, MINUTE);
    const events = await source.fetchConnections({ hosts: allHosts(), ...range });

    expectScenarioEvents(events, range);
    expect(fake.tokenRequests).toBe(2);
    expect(fake.requests.map((request) => request.status)).toEqual([200, 401, 200]);
  });

  it('reports a 401 that survives a fresh token as a terminal error naming the source', async () => {
    fake.failNext({ status: 401 }, { status: 401 });

    const failure = await connector().fetchConnections({ hosts: allHosts(), ...around(MINUTE, 0) }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(SourceError);
    expect(failure).toMatchObject({ kind: 'terminal', status: 401, source: SOURCE });
    expect(String((failure as Error).message)).toMatch(/^mde-test: HTTP 401 .*InvalidAuthenticationToken/);
    expect(fake.tokenRequests).toBe(2);
    expect(fake.requests).toHaveLength(2);
  });

  it('reports bad client credentials as terminal without echoing the secret', async () => {
    const failure = await connector({ client_secret: 'wrong-secret-456' })
      .fetchConnections({ hosts: allHosts(), ...around(MINUTE, 0) })
      .catch((error: unknown) => error);

    expect(failure).toMatchObject({ kind: 'terminal', status: 401, source: SOURCE });
    expect(String((failure as Error).message)).toContain('invalid_client');
    expect(String((failure as Error).message)).not.toContain('wrong-secret-456');
    expect(fake.requests).toHaveLength(0);
  });

  it('sends a hostile host name as one literal: the fake reads it back whole and it matches nothing', async () => {
    const hostile = 'evil" or 1==1 | DeviceName';
    const range = around(MINUTE, MINUTE);

    const events = await connector().fetchConnections({ hosts: [{ hostname: hostile }, { hostname: 'FIN-WS-042' }], ...range });

    expect(fake.requests[0]?.query?.hosts?.shortNames).toEqual([hostile, 'FIN-WS-042']);
    expect(fake.requests[0]?.query?.pipeline).toEqual(['where', 'where', 'where', 'project', 'order', 'take']);
    expectScenarioEvents(events, range, ['fin-ws-042.corp.example']);
  });

  it('does not return events before they are ingested, and returns the same ids once they are', async () => {
    const range = { from: new Date(Date.now() - 2 * MINUTE), to: new Date() };
    const source = connector();
    fake.ingestionDelayMs = MINUTE;
    const early = await source.fetchConnections({ hosts: allHosts(), ...range });
    fake.ingestionDelayMs = 0;
    const late = await source.fetchConnections({ hosts: allHosts(), ...range });

    const cutoff = Date.now() - MINUTE;
    expect(early.length).toBeGreaterThan(0);
    expect(early.every((event) => event.time <= cutoff)).toBe(true);
    expect(late.length).toBeGreaterThan(early.length);
    const lateIds = new Set(late.map((event) => event.id));
    expect(early.every((event) => lateIds.has(event.id))).toBe(true);
  });

  it('re-reads a covered range by ingestion time: only rows ingested since, a late backlog, and everything from its end on', async () => {
    const range = around(2 * MINUTE, 4 * MINUTE);
    const coveredUntil = scenario.blockedAt.getTime() + 2 * MINUTE;
    const ingestedSince = coveredUntil - 30_000;
    // A backlog the sensor delivered now: connections from before the covered read's end, ingested after it.
    const backlog = scenario
      .connections(range.from, new Date(ingestedSince))
      .slice(0, 3)
      .map((connection) => ({ ...connection, id: `${connection.id}:backlog`, ingested_at: Date.now() }));
    expect(backlog).toHaveLength(3);
    const delivered: Scenario = {
      ...scenario,
      connections: (from, to) => [...scenario.connections(from, to), ...backlog.filter((connection) => connection.time >= from.getTime() && connection.time < to.getTime())],
    };
    await fake.close();
    fake = await startFakeMde({ scenario: delivered, tenantId: TENANT, clientId: CLIENT.id, clientSecret: CLIENT.secret });

    const events = await connector().fetchConnections({
      hosts: allHosts(),
      ...range,
      covered: { until: new Date(coveredUntil), ingestedSince: new Date(ingestedSince) },
    });

    expect(fake.requests[0]?.query).toMatchObject({
      kind: 'rows',
      covered: { until: new Date(coveredUntil).toISOString(), ingestedSince: new Date(ingestedSince).toISOString() },
    });
    const expected = delivered.connections(range.from, range.to).filter((connection) => (connection.ingested_at ?? connection.time) >= ingestedSince);
    expect(expected.length).toBeLessThan(delivered.connections(range.from, range.to).length);
    expectSameConnections(events, expected, fromEvent, fromSim);
    expect(events.filter((event) => event.time < ingestedSince)).toHaveLength(3);
  });

  it('aggregates a 7-day baseline per host, process, destination, port and protocol, over several pages', async () => {
    const range = around(7 * DAY_MS, 0);

    const entries = await connector({ page_size: 25 }).fetchBaseline({ hosts: allHosts(), ...range });

    expect(fake.requests.length).toBeGreaterThan(1);
    expect(fake.requests.every((request) => request.query?.kind === 'summarize')).toBe(true);
    const expected = new Map<string, BaselineEntry>();
    for (const c of scenario.connections(range.from, range.to)) {
      const entry: BaselineEntry = {
        host: c.host.hostname, // named as the watch names the host it asked for
        process_path: c.process.path,
        process_name: c.process.name,
        sha1: c.process.sha1,
        dst_ip: c.dst.ip,
        dst_hostname: c.dst.hostname,
        dst_port: c.dst.port,
        protocol: c.protocol,
        count: 1,
        first_seen: c.time,
        last_seen: c.time,
      };
      const key = JSON.stringify([entry.host, entry.process_path, entry.sha1, entry.dst_ip, entry.dst_hostname, entry.dst_port, entry.protocol]);
      const seen = expected.get(key);
      expected.set(key, seen ? { ...seen, count: seen.count + 1, last_seen: c.time } : entry);
    }
    expect(sorted(entries)).toEqual(sorted([...expected.values()]));
    const beacon = entries.find((entry) => entry.dst_ip === '203.0.113.7');
    expect(beacon).toMatchObject({ host: 'FIN-WS-042', process_name: 'powershell.exe', dst_port: 443, protocol: 'tcp' });
    expect(entries.some((entry) => entry.process_name === 'rundll32.exe')).toBe(false);
  });

  it('shares one request budget in Redis between connector instances, and a caller can stop waiting', async () => {
    const shared = () => budget(2);
    const first = connector({}, shared());
    const second = connector({}, shared());
    await first.fetchConnections({ hosts: allHosts(), ...around(MINUTE, 0) });
    await second.fetchConnections({ hosts: allHosts(), ...around(MINUTE, 0) });

    const blocked = await first
      .fetchConnections({ hosts: allHosts(), ...around(MINUTE, 0), signal: AbortSignal.timeout(300) })
      .catch((error: unknown) => error);

    expect(blocked).toMatchObject({ name: 'TimeoutError' });
    expect(fake.requests).toHaveLength(2);
    expect(await redis.zcard(redisKeys(prefix).requestBudget(SOURCE))).toBe(2);
  });

  it('gives the estate prevalence queries prevalence_timeout, not the polls’ per-request timeout', async () => {
    await fake.close();
    fake = await startFakeMde({ scenario, tenantId: TENANT, clientId: CLIENT.id, clientSecret: CLIENT.secret, answerDelayMs: 1_500 });
    const slow = connector({ timeout: '1s', max_retries: 0, prevalence_timeout: '1m' });
    const range = around(7 * DAY_MS, 0);

    const late = await slow.fetchConnections({ hosts: allHosts(), ...range }).catch((error: unknown) => error);
    expect(late).toMatchObject({ kind: 'retryable', source: SOURCE });
    const answer = await slow.fetchPrevalence!({ ...range, minDestinationHosts: 2, maxDestinations: 20_000 });
    expect(answer.host_count).toBe(scenario.hosts.length);
  });

  it('reads a 7-day estate prevalence in three aggregate queries over every device, uncut by the page size', async () => {
    const range = around(7 * DAY_MS, 0);

    const answer = await connector({ page_size: 25 }).fetchPrevalence!({ ...range, minDestinationHosts: 2, maxDestinations: 20_000 });

    expect(fake.requests.map((request) => [request.status, request.query?.kind, request.query?.hosts])).toEqual(
      Array.from({ length: 3 }, () => [200, 'estate', undefined]),
    );
    expect(fake.requests.every((request) => request.timespan === `${range.from.toISOString()}/${range.to.toISOString()}`)).toBe(true);
    const seen = new Map<string, Set<string>>();
    for (const c of scenario.connections(range.from, range.to)) {
      for (const destination of [c.dst.ip, c.dst.hostname?.toLowerCase()]) {
        if (destination) seen.set(destination, (seen.get(destination) ?? new Set()).add(c.host.device_id));
      }
    }
    const widespread = [...seen].filter(([, devices]) => devices.size >= 2);
    expect(widespread.length).toBeGreaterThan(25);
    expect(sorted(answer.destinations)).toEqual(sorted(widespread.map(([destination, devices]) => ({ destination, hosts: devices.size }))));
    expect(answer).toMatchObject({ host_count: scenario.hosts.length, partial: false });
  });
});
