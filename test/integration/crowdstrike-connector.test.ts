import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BaselineEntry, ConnectionEvent } from '../../src/contracts/connection-event.js';
import { startFakeCrowdstrike, type FakeCrowdstrike } from '../../src/sources/crowdstrike/dev/fake-crowdstrike-server.js';
import type { Scenario, SimConnection } from '../../src/dev/scenario/index.js';
import { CrowdstrikeConfigSchema, crowdstrikeConnector } from '../../src/sources/crowdstrike/index.js';
import { parseFalconRetryAfter } from '../../src/sources/crowdstrike/rate-limit.js';
import { SourceError } from '../../src/sources/source-error.js';
import type { HostRef, SourceConnector } from '../../src/sources/types.js';
import { CountingBudget, DAY_MS, MINUTE, aroundBlock, capturingLogger, expectSameConnections, fallbackScenario, sorted } from '../helpers/connector-test.js';

const SOURCE = 'falcon-test';
const CLIENT = { id: 'falcon-client-01', secret: 'not-a-real-falcon-secret-42' };

let fake: FakeCrowdstrike;
let scenario: Scenario;
let logLines: Record<string, unknown>[];
let budget: CountingBudget;

beforeEach(async () => {
  logLines = [];
  budget = new CountingBudget();
  scenario = fallbackScenario();
  fake = await startFakeCrowdstrike({ scenario, clientId: CLIENT.id, clientSecret: CLIENT.secret });
});

afterEach(async () => {
  await fake.close();
});

function connector(overrides: Record<string, unknown> = {}): SourceConnector {
  const config = CrowdstrikeConfigSchema.parse({
    id: SOURCE,
    type: 'crowdstrike',
    base_url: fake.url,
    client_id: CLIENT.id,
    client_secret: CLIENT.secret,
    timeout: '1s',
    max_retries: 2,
    ...overrides,
  });
  return crowdstrikeConnector.create(config, { logger: capturingLogger(logLines, 'debug'), budget });
}

const around = (beforeMs: number, afterMs: number) => aroundBlock(scenario, beforeMs, afterMs);
const allHosts = (): HostRef[] => scenario.hosts.map((host) => ({ hostname: host.hostname }));
const devicePath = (path: string) => path.replace(/^C:\\/, '\\Device\\HarddiskVolume3\\');

const fromEvent = (event: ConnectionEvent) => ({
  host: event.device.hostname,
  uid: event.device.uid,
  time: event.time,
  path: event.process?.path,
  cmd_line: event.process?.cmd_line,
  pid: event.process?.pid,
  sha1: event.process?.sha1,
  parent: event.process?.parent_name,
  started_at: event.process?.started_at,
  dst: `${event.dst_endpoint.ip}:${event.dst_endpoint.port}`,
  protocol: event.protocol,
});
const fromSim = (connection: SimConnection) => ({
  host: connection.host.hostname,
  uid: connection.host.device_id.slice(0, 32),
  time: connection.time,
  path: devicePath(connection.process.path),
  cmd_line: connection.process.cmd_line,
  pid: connection.process.pid,
  sha1: connection.process.sha1,
  parent: connection.process.parent,
  started_at: connection.process.started_at,
  dst: `${connection.dst.ip}:${connection.dst.port}`,
  protocol: connection.protocol,
});

function expectScenarioEvents(events: ConnectionEvent[], range: { from: Date; to: Date }, hostnames?: string[]) {
  const expected = scenario.connections(range.from, range.to).filter((c) => !hostnames || hostnames.includes(c.host.hostname));
  expectSameConnections(events, expected, fromEvent, fromSim);
}

const jobQueries = () => fake.requests.filter((request) => request.method === 'POST' && request.query).map((request) => request.query!);

describe('CrowdStrike connector against the Falcon gateway fake', () => {
  it('returns the watched hosts’ network events, normalized, with the process joined from ProcessRollup2', async () => {
    const range = around(2 * MINUTE, 2 * MINUTE);
    const [ws41, ws42, ws43] = scenario.hosts;
    const hosts: HostRef[] = [{ hostname: ws41!.hostname.toLowerCase() }, { hostname: ws42!.fqdn.toUpperCase() }, { edr_id: ws43!.device_id.slice(0, 32) }];

    const events = await connector().fetchConnections({ hosts, ...range });

    expectScenarioEvents(events, range);
    const fallback = events.filter((event) => event.dst_endpoint.ip === '192.0.2.44');
    expect(fallback.length).toBeGreaterThan(5);
    expect(fallback[0]).toMatchObject({
      source: SOURCE,
      device: { hostname: 'FIN-WS-042', ip: '10.20.1.42' },
      process: { name: 'rundll32.exe', path: '\\Device\\HarddiskVolume3\\Windows\\System32\\rundll32.exe', user: 'bernard.klein', parent_name: 'powershell.exe' },
      src_endpoint: { ip: '10.20.1.42' },
      dst_endpoint: { port: 8443 },
      protocol: 'tcp',
      direction: 'outbound',
      outcome: 'unknown',
    });
    // ProcessStartTime through the join: the fallback's rundll32 first ran after the block. Falcon has no parent path.
    expect(fallback[0]?.process?.started_at).toBe(scenario.fallback!.process.started_at);
    expect(fallback[0]?.process?.started_at).toBeGreaterThan(scenario.blockedAt.getTime());
    expect(events.filter((event) => event.process?.parent_path !== undefined)).toEqual([]);
    expect(fallback[0]?.id).toMatch(/^falcon:[0-9a-f]{32}:[0-9a-f-]{36}$/);
    expect(events.find((event) => event.protocol === 'udp' && event.dst_endpoint.port === 53)).toBeDefined();
    const [query] = jobQueries();
    expect(query).toMatchObject({ kind: 'events', eventNames: ['NetworkConnectIP4', 'NetworkConnectIP6'], limit: 1_000 });
    expect(query?.join?.startMs).toBe(range.from.getTime() - 7 * DAY_MS);
  });

  it('resolves short names, FQDNs, local IPs and device ids to Falcon devices, and says why a host is not visible', async () => {
    const source = connector();
    const [ws41, ws42, ws43] = scenario.hosts;

    const visibility = await source.resolveHosts!([
      { hostname: 'fin-ws-041' },
      { hostname: ws42!.fqdn },
      { ip: ws43!.ip },
      { edr_id: ws41!.device_id.slice(0, 32).toUpperCase() },
      { hostname: 'FIN-WS-04' },
      { hostname: 'fin-ws-042.other.example' },
      { edr_id: ws41!.device_id },
      {},
    ]);

    expect(visibility.map((entry) => [entry.visible, entry.device_id ?? entry.reason])).toEqual([
      [true, ws41!.device_id.slice(0, 32)],
      [true, ws42!.device_id.slice(0, 32)],
      [true, ws43!.device_id.slice(0, 32)],
      [true, ws41!.device_id.slice(0, 32)],
      [false, 'no Falcon device with this host name'],
      [false, 'no Falcon device with this host name'],
      [false, 'edr_id is not a Falcon device id (32 hex digits), and no host name or IP was given'],
      [false, 'no host name or IP to look up'],
    ]);
    const lookups = fake.requestCount();
    await source.resolveHosts!([{ hostname: 'FIN-WS-041' }, { ip: ws43!.ip }]);
    expect(fake.requestCount()).toBe(lookups);
  });

  it('fetches one 30-minute token, shared by concurrent reads, and takes every data request from the budget', async () => {
    const source = connector();
    await Promise.all([
      source.fetchConnections({ hosts: allHosts(), ...around(MINUTE, MINUTE) }),
      source.fetchConnections({ hosts: allHosts(), ...around(0, 2 * MINUTE) }),
    ]);

    expect(fake.tokenRequests).toBe(1);
    expect(budget.acquired).toBe(fake.requestCount());
    expect(fake.requests.every((request) => request.status === 200)).toBe(true);
  });

  it('polls a query job until it is done, then pages with one job per page, each event once', async () => {
    await fake.close();
    fake = await startFakeCrowdstrike({ scenario, clientId: CLIENT.id, clientSecret: CLIENT.secret, pollsBeforeDone: 3 });
    const range = around(2 * MINUTE, MINUTE);
    const expected = scenario.connections(range.from, range.to).length;

    const events = await connector({ page_size: 9 }).fetchConnections({ hosts: allHosts(), ...range });

    expectScenarioEvents(events, range);
    const queries = jobQueries();
    expect(queries.length).toBeGreaterThanOrEqual(Math.ceil(expected / 9));
    expect(queries.every((query) => query.kind === 'events' && query.limit === 9)).toBe(true);
    expect(queries.slice(1).every((query) => query.kind === 'events' && query.excludeIds.length > 0)).toBe(true);
    const polls = fake.requests.filter((request) => request.method === 'GET' && request.path.includes('/queryjobs/'));
    expect(polls).toHaveLength(queries.length * 4);
  });

  it('waits out a 429 until the epoch second in X-RateLimit-RetryAfter, and retries a 500', async () => {
    fake.failNext({ kind: 'rate_limited', retryAfterSeconds: 1 }, { kind: 'server_error' });
    const range = around(MINUTE, MINUTE);
    const started = Date.now();

    const events = await connector().fetchConnections({ hosts: allHosts(), ...range });

    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    expectScenarioEvents(events, range);
    const retries = logLines.filter((line) => line.msg === 'vendor request failed, retrying');
    expect(retries.map(({ status, kind }) => ({ status, kind }))).toEqual([
      { status: 429, kind: 'rate_limited' },
      { status: 500, kind: 'retryable' },
    ]);
    expect(retries[0]?.wait_ms).toBeGreaterThan(0);
    expect(retries[0]?.wait_ms).toBeLessThanOrEqual(2_000);
    expect(JSON.stringify(logLines)).not.toContain(CLIENT.secret);
  });

  it('reads X-RateLimit-RetryAfter as epoch seconds, epoch milliseconds or a plain delay', () => {
    const now = Date.parse('2026-11-27T10:00:00Z');
    expect(parseFalconRetryAfter(String(now / 1_000 + 3), now)).toBe(3_000);
    expect(parseFalconRetryAfter(String(now + 2_500), now)).toBe(2_500);
    expect(parseFalconRetryAfter('5', now)).toBe(5_000);
    expect(parseFalconRetryAfter('750', now)).toBe(750);
    expect(parseFalconRetryAfter(String(now / 1_000 - 10), now)).toBe(0);
    expect(parseFalconRetryAfter('soon', now)).toBeUndefined();
  });

  it('refreshes the token once on a 401 and carries on; a second 401 is terminal and names the source', async () => {
    fake.failNext({ kind: 'unauthorized' });
    await connector().fetchConnections({ hosts: allHosts(), ...around(MINUTE, 0) });
    expect(fake.tokenRequests).toBe(2);

    fake.failNext({ kind: 'unauthorized' }, { kind: 'unauthorized' });
    const failure = await connector().fetchConnections({ hosts: allHosts(), ...around(MINUTE, 0) }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(SourceError);
    expect(failure).toMatchObject({ kind: 'terminal', status: 401, source: SOURCE });
    expect(String((failure as Error).message)).toMatch(/^falcon-test: HTTP 401 .*401: access denied, authorization failed/);
  });

  it('reports bad client credentials as terminal without echoing the secret', async () => {
    const failure = await connector({ client_secret: 'wrong-secret-789' })
      .fetchConnections({ hosts: allHosts(), ...around(MINUTE, 0) })
      .catch((error: unknown) => error);

    expect(failure).toMatchObject({ kind: 'terminal', status: 401, source: SOURCE });
    expect(String((failure as Error).message)).not.toContain('wrong-secret-789');
    expect(fake.requestCount()).toBe(0);
  });

  it('retries a truncated and an HTML body; a JSON body of another shape is a terminal error naming the call', async () => {
    fake.failNext({ kind: 'truncated' }, { kind: 'garbage' });
    const range = around(MINUTE, 0);
    expectScenarioEvents(await connector().fetchConnections({ hosts: allHosts(), ...range }), range);
    expect(logLines.filter((line) => line.kind === 'retryable')).toHaveLength(2);

    fake.failNext({ kind: 'unexpected_json' });
    const failure = await connector().fetchConnections({ hosts: allHosts(), ...range }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ kind: 'terminal', source: SOURCE });
    expect(String((failure as Error).message)).toContain('devices/queries/devices/v1 answered an unexpected body');
  });

  it('sends hostile host names as single FQL values: the fake reads them back whole and nothing matches', async () => {
    const hostile = ["evil' , hostname:'FIN-WS-042", 'back\\slash\\', "*'+local_ip:'10.20.1.42"];

    const events = await connector().fetchConnections({ hosts: hostile.map((hostname) => ({ hostname })), ...around(MINUTE, 0) });

    expect(events).toEqual([]);
    // A dotted name is also looked up by its first label, Falcon's usual hostname; both stay whole values.
    expect(fake.queriedHostNames()).toEqual([...hostile, "*'+local_ip:'10"]);
    expect(fake.requests.every((request) => request.status === 200 && !request.error)).toBe(true);
    expect(jobQueries()).toEqual([]);
  });

  it('asks the process join for process_join_limit events, and a cluster whose MAX_JOIN_LIMIT is lower refuses it for good', async () => {
    const range = around(MINUTE, 0);
    await connector().fetchConnections({ hosts: allHosts(), ...range });
    expect(new Set(jobQueries().map((query) => query.join?.limit))).toEqual(new Set([200_000]));

    const refused = await connector({ process_join_limit: 250_000 }).fetchConnections({ hosts: allHosts(), ...range }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ kind: 'terminal', source: SOURCE });
    expect(String((refused as Error).message)).toContain('exceeds MAX_JOIN_LIMIT 200000');

    await fake.close();
    fake = await startFakeCrowdstrike({ scenario, clientId: CLIENT.id, clientSecret: CLIENT.secret, maxJoinLimit: 1_000_000 });
    const raised = await connector({ process_join_limit: 250_000 }).fetchConnections({ hosts: allHosts(), ...range });
    expect(raised.length).toBeGreaterThan(0);
  });

  it('shows a process that started before process_lookback without image, parent or start: the join cannot find its ProcessRollup2', async () => {
    const range = around(MINUTE, MINUTE);

    const events = await connector({ process_lookback: '1h' }).fetchConnections({ hosts: allHosts(), ...range });

    const lookbackStart = range.from.getTime() - 3_600_000;
    const expected = scenario.connections(range.from, range.to);
    expect(events).toHaveLength(expected.length);
    const joined = (event: ConnectionEvent) => event.process?.path !== undefined;
    // Only the fallback's rundll32 started within the hour before the read; the powershell implant and the background did not.
    expect(expected.filter((c) => (c.process.started_at ?? 0) >= lookbackStart).map((c) => c.process.name)).toEqual(expect.arrayContaining(['rundll32.exe']));
    expect(events.filter(joined).length).toBe(expected.filter((c) => (c.process.started_at ?? 0) >= lookbackStart).length);
    for (const event of events.filter((e) => !joined(e))) expect(event.process).toMatchObject({ parent_name: undefined, started_at: undefined, pid: undefined });
    expect(events.filter(joined).every((event) => event.process?.parent_name === 'powershell.exe' && event.process.started_at === scenario.fallback!.process.started_at)).toBe(true);
  });

  it('stops the query job when the caller aborts, and reports a job past query_timeout as retryable', async () => {
    await fake.close();
    fake = await startFakeCrowdstrike({ scenario, clientId: CLIENT.id, clientSecret: CLIENT.secret, pollsBeforeDone: 1_000 });
    const hosts = allHosts();

    const aborted = await connector()
      .fetchConnections({ hosts, ...around(MINUTE, 0), signal: AbortSignal.timeout(300) })
      .catch((error: unknown) => error);
    expect(aborted).toMatchObject({ name: 'TimeoutError' });

    const late = await connector({ query_timeout: '1s' }).fetchConnections({ hosts, ...around(MINUTE, 0) }).catch((error: unknown) => error);
    expect(late).toMatchObject({ kind: 'retryable', source: SOURCE });
    expect(String((late as Error).message)).toContain('did not finish within 1000 ms');

    await expect.poll(() => fake.requests.filter((request) => request.method === 'DELETE' && request.status === 204).length).toBe(2);
  });

  it('does not return events before they are ingested, and returns the same ids once they are', async () => {
    const range = { from: new Date(Date.now() - 2 * MINUTE), to: new Date() };
    const source = connector();
    fake.ingestionDelayMs = MINUTE;
    const early = await source.fetchConnections({ hosts: allHosts(), ...range });
    fake.ingestionDelayMs = 0;
    const late = await source.fetchConnections({ hosts: allHosts(), ...range });

    expect(early.length).toBeGreaterThan(0);
    expect(early.every((event) => event.time <= Date.now() - MINUTE)).toBe(true);
    expect(late.length).toBeGreaterThan(early.length);
    const lateIds = new Set(late.map((event) => event.id));
    expect(early.every((event) => lateIds.has(event.id))).toBe(true);
  });

  it('re-reads a covered range by @ingesttimestamp, page by page: late-ingested events come back, the rest of what was covered does not, unstamped ones do', async () => {
    const range = around(3 * MINUTE, 3 * MINUTE);
    const whole = await connector({ page_size: 9 }).fetchConnections({ hosts: allHosts(), ...range });
    const until = new Date(range.from.getTime() + 4 * MINUTE);
    const ingestedSince = new Date(until.getTime() - 90_000);
    // Ingested two minutes late: these connections, covered by `until`, became searchable after `ingestedSince`.
    fake.ingestionDelayMs = 2 * MINUTE;
    const reread = await connector({ page_size: 9 }).fetchConnections({ hosts: allHosts(), ...range, covered: { until, ingestedSince } });

    const wanted = whole.filter((event) => event.time >= until.getTime() || event.time + 2 * MINUTE >= ingestedSince.getTime());
    expect(wanted.some((event) => event.time < until.getTime())).toBe(true);
    expect(wanted.length).toBeLessThan(whole.length);
    expect(sorted(reread.map((event) => event.id))).toEqual(sorted(wanted.map((event) => event.id)));
    expect(jobQueries().some((query) => query.kind === 'events' && query.covered?.untilMs === until.getTime() && query.excludeIds.length > 0)).toBe(true);

    // Events without an ingest time (LogScale fails a comparison on an absent field) are all read.
    await fake.close();
    fake = await startFakeCrowdstrike({ scenario, clientId: CLIENT.id, clientSecret: CLIENT.secret, stampsIngested: false });
    const unstamped = await connector({ page_size: 9 }).fetchConnections({ hosts: allHosts(), ...range, covered: { until, ingestedSince } });
    expect(sorted(unstamped.map((event) => event.id))).toEqual(sorted(whole.map((event) => event.id)));
  });

  it('aggregates a 7-day baseline with LogScale groupBy per host, image, hash, destination, port and protocol', async () => {
    const range = around(7 * DAY_MS, 0);

    const entries = await connector().fetchBaseline({ hosts: allHosts(), ...range });

    expect(jobQueries().map((query) => query.kind)).toEqual(['aggregate']);
    const expected = new Map<string, BaselineEntry>();
    for (const c of scenario.connections(range.from, range.to)) {
      const path = devicePath(c.process.path);
      const entry: BaselineEntry = {
        host: c.host.hostname,
        process_path: path,
        process_name: c.process.name,
        sha1: c.process.sha1,
        dst_ip: c.dst.ip,
        dst_hostname: undefined,
        dst_port: c.dst.port,
        protocol: c.protocol,
        count: 1,
        first_seen: c.time,
        last_seen: c.time,
      };
      const key = JSON.stringify([entry.host, path, entry.sha1, entry.dst_ip, entry.dst_port, entry.protocol]);
      const seen = expected.get(key);
      expected.set(key, seen ? { ...seen, count: seen.count + 1, last_seen: c.time } : entry);
    }
    expect(sorted(entries)).toEqual(sorted([...expected.values()]));
    expect(entries.find((entry) => entry.dst_ip === '203.0.113.7')).toMatchObject({ host: 'FIN-WS-042', process_name: 'powershell.exe', dst_port: 443 });
  });

  it('counts the estate prevalence per protocol/port and per destination in two aggregate jobs, with no device filter', async () => {
    const range = around(7 * DAY_MS, 0);

    const answer = await connector().fetchPrevalence!({ ...range, minDestinationHosts: 2, maxDestinations: 50_000 });

    const ports = new Map<string, Set<string>>();
    const destinations = new Map<string, Set<string>>();
    const add = (map: Map<string, Set<string>>, key: string, host: string) => map.set(key, (map.get(key) ?? new Set()).add(host));
    for (const c of scenario.connections(range.from, range.to)) {
      add(ports, `${c.protocol}/${c.dst.port}`, c.host.hostname);
      add(destinations, c.dst.ip, c.host.hostname);
    }
    expect(answer.host_count).toBe(scenario.hosts.length);
    expect(answer.ports.map((row) => `${row.protocol}/${row.port}=${row.hosts}`).sort()).toEqual([...ports].map(([key, hosts]) => `${key}=${hosts.size}`).sort());
    const widespread = [...destinations].filter(([, hosts]) => hosts.size >= 2);
    expect(answer.destinations.map((row) => `${row.destination}=${row.hosts}`).sort()).toEqual(widespread.map(([ip, hosts]) => `${ip}=${hosts.size}`).sort());
    expect(answer.partial).toBe(false);

    const queries = jobQueries();
    expect(queries).toHaveLength(2);
    expect(queries.every((query) => query.kind === 'aggregate' && query.aids === undefined && query.join === undefined)).toBe(true);
    expect(fake.requests.some((request) => request.path.startsWith('/devices/'))).toBe(false);
    // sort() returns at most 20,000 rows, whatever was asked for.
    expect(queries[1]).toMatchObject({
      stages: [
        { aggregator: { fn: 'groupBy', fields: ['RemoteAddressIP4', 'RemoteAddressIP6'], limit: 100_000 } },
        { aggregator: { fn: 'stats', functions: [{ fn: 'count' }, { fn: 'sort', field: 'Hosts', order: 'desc', limit: 20_000 }] } },
        { kind: 'compare', field: 'Hosts', operator: '>=', value: 2 },
      ],
    });
  });

  it('marks the prevalence partial when a groupBy() reaches prevalence_max_groups, and logs it', async () => {
    const range = around(7 * DAY_MS, 0);

    const answer = await connector({ prevalence_max_groups: 3 }).fetchPrevalence!({ ...range, minDestinationHosts: 2, maxDestinations: 1_000 });

    expect(answer.partial).toBe(true);
    expect(answer.host_count).toBe(scenario.hosts.length);
    expect(answer.ports).toHaveLength(3);
    expect(logLines.some((line) => line.msg === 'estate prevalence cut by LogScale limits; the counts are lower bounds')).toBe(true);
  });

  it('gives the estate prevalence jobs prevalence_timeout, not the poll’s query_timeout', async () => {
    await fake.close();
    fake = await startFakeCrowdstrike({ scenario, clientId: CLIENT.id, clientSecret: CLIENT.secret, pollsBeforeDone: 40 });
    const slow = connector({ query_timeout: '1s', prevalence_timeout: '1m' });
    const range = around(MINUTE, 0);

    const late = await slow.fetchConnections({ hosts: allHosts(), ...range }).catch((error: unknown) => error);
    expect(String((late as Error).message)).toContain('did not finish within 1000 ms');
    const answer = await slow.fetchPrevalence!({ ...range, minDestinationHosts: 1, maxDestinations: 1_000 });
    expect(answer.host_count).toBeGreaterThan(0);
    expect(answer.host_count).toBe(new Set(scenario.connections(range.from, range.to).map((c) => c.host.hostname)).size);
  });

  it('answers an empty estate prevalence, not an error, for a window with no telemetry yet', async () => {
    const from = new Date(Date.now() + 10 * MINUTE);

    const answer = await connector().fetchPrevalence!({ from, to: new Date(from.getTime() + 10 * MINUTE), minDestinationHosts: 2, maxDestinations: 100 });

    expect(answer).toEqual({ host_count: 0, ports: [], destinations: [], partial: false });
  });

  it('picks the cloud’s gateway when base_url is left out, and names a misspelt key', () => {
    const base = { id: SOURCE, type: 'crowdstrike', client_id: 'a', client_secret: 'b' };
    expect(CrowdstrikeConfigSchema.parse({ ...base, cloud: 'eu-1' }).base_url).toBe('https://api.eu-1.crowdstrike.com');
    expect(CrowdstrikeConfigSchema.parse(base)).toMatchObject({ base_url: 'https://api.crowdstrike.com', rate_limit_per_minute: 6_000, repository: 'search-all' });
    const typo = CrowdstrikeConfigSchema.safeParse({ ...base, client_secrett: 'b' });
    expect(typo.success).toBe(false);
    expect(JSON.stringify(typo.error?.issues)).toContain('client_secrett');
  });
});
