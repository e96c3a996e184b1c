import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BaselineEntry, ConnectionEvent } from '../../src/contracts/connection-event.js';
import { startFakeElastic, type FakeElastic } from '../../src/sources/elastic/dev/fake-elastic-server.js';
import type { Scenario, SimConnection } from '../../src/dev/scenario/index.js';
import { ElasticConfigSchema, elasticConnector } from '../../src/sources/elastic/index.js';
import { requireComplete } from '../../src/sources/elastic/parse.js';
import { SourceError } from '../../src/sources/source-error.js';
import type { HostRef, SourceConnector } from '../../src/sources/types.js';
import { CountingBudget, DAY_MS, MINUTE, aroundBlock, capturingLogger, expectSameConnections, fallbackScenario, sorted } from '../helpers/connector-test.js';

const SOURCE = 'elastic-test';
const API_KEY = Buffer.from('VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw').toString('base64');

let fake: FakeElastic;
let scenario: Scenario;
let logLines: Record<string, unknown>[];
let budget: CountingBudget;

beforeEach(async () => {
  logLines = [];
  budget = new CountingBudget();
  scenario = fallbackScenario();
  fake = await startFakeElastic({ scenario, apiKey: API_KEY });
});

afterEach(async () => {
  await fake.close();
});

function connector(overrides: Record<string, unknown> = {}): SourceConnector {
  const config = ElasticConfigSchema.parse({ id: SOURCE, type: 'elastic', base_url: fake.url, api_key: API_KEY, timeout: '30s', max_retries: 2, ...overrides });
  return elasticConnector.create(config, { logger: capturingLogger(logLines, 'debug'), budget });
}

const around = (beforeMs: number, afterMs: number) => aroundBlock(scenario, beforeMs, afterMs);
const allHosts = (): HostRef[] => scenario.hosts.map((host) => ({ hostname: host.hostname }));
const defendHost = (connection: SimConnection) => connection.host.hostname === 'FIN-WS-042';

const uptimeStart = (connection: SimConnection) => connection.time - Math.floor((connection.time - connection.process.started_at!) / 1_000) * 1_000;

const fromEvent = (event: ConnectionEvent) => ({
  host: event.device.hostname,
  time: event.time,
  path: event.process?.path,
  pid: event.process?.pid,
  user: event.process?.user,
  parent: event.process?.parent_name,
  started_at: event.process?.started_at,
  dst: `${event.dst_endpoint.ip}:${event.dst_endpoint.port}`,
  dst_host: event.dst_endpoint.hostname,
  protocol: event.protocol,
  outcome: event.outcome,
});
const fromSim = (connection: SimConnection) => ({
  host: defendHost(connection) ? connection.host.fqdn : connection.host.hostname.toLowerCase(),
  time: connection.time,
  path: connection.process.path,
  pid: connection.process.pid,
  user: connection.process.user,
  // Neither Defend's network events nor Sysmon Event ID 3 name the parent.
  parent: undefined,
  // Defend's network events carry process.uptime, whole seconds: the start is read back to the second. Sysmon's have none.
  started_at: defendHost(connection) ? uptimeStart(connection) : undefined,
  dst: `${connection.dst.ip}:${connection.dst.port}`,
  // Sysmon logs the DNS name it resolved; Defend's network events carry none.
  dst_host: defendHost(connection) ? undefined : connection.dst.hostname,
  protocol: connection.protocol,
  outcome: defendHost(connection) ? connection.outcome : 'unknown',
});

function expectScenarioEvents(events: ConnectionEvent[], range: { from: Date; to: Date }) {
  const expected = scenario.connections(range.from, range.to);
  expectSameConnections(events, expected, fromEvent, fromSim);
}

const searches = () => fake.requests.filter((request) => request.path === '/_search');

describe('Elastic connector against the Elasticsearch fake', () => {
  it('reads Elastic Defend and Sysmon events alike, by short name, FQDN, host.id or IP, and leaves out disconnects', async () => {
    const range = around(2 * MINUTE, 2 * MINUTE);
    const [ws41, ws42, ws43] = scenario.hosts;
    const hosts: HostRef[] = [{ hostname: ws41!.hostname }, { hostname: ws42!.hostname }, { ip: ws43!.ip }];

    const events = await connector().fetchConnections({ hosts, ...range });

    expectScenarioEvents(events, range);
    const fallback = events.filter((event) => event.dst_endpoint.ip === '192.0.2.44');
    expect(fallback.length).toBeGreaterThan(5);
    expect(fallback[0]).toMatchObject({
      source: SOURCE,
      device: { hostname: 'fin-ws-042.corp.example', ip: '10.20.1.42', uid: ws42!.device_id.slice(0, 32) },
      process: { name: 'rundll32.exe', path: 'C:\\Windows\\System32\\rundll32.exe', sha1: expect.stringMatching(/^[0-9a-f]{40}$/), user: 'CORP\\bernard.klein' },
      dst_endpoint: { port: 8443 },
      protocol: 'tcp',
      direction: 'outbound',
      outcome: 'success',
    });
    // The start is @timestamp less process.uptime: within the second after the real one, after the block.
    const started = scenario.fallback!.process.started_at!;
    expect(fallback.every((event) => event.process!.started_at! >= started && event.process!.started_at! < started + 1_000)).toBe(true);
    expect(fallback.every((event) => event.process?.parent_name === undefined && event.process?.parent_path === undefined)).toBe(true);
    expect(fallback[0]?.id).toMatch(/^elastic:\.ds-logs-endpoint\.events\.network-default-[\d.]+-000001:\w+a$/);
    expect(events.some((event) => event.id.endsWith('d'))).toBe(false);

    const byFqdnAndId = await connector().fetchConnections({ hosts: [{ hostname: ws41!.fqdn.toUpperCase() }, { edr_id: ws42!.device_id.slice(0, 32) }], ...range });
    expect(new Set(byFqdnAndId.map((event) => event.device.hostname))).toEqual(new Set(['fin-ws-041', 'fin-ws-042.corp.example']));
  });

  it('pages with search_after inside one point in time, closes it, and takes every request from the budget', async () => {
    const range = around(2 * MINUTE, MINUTE);
    const expected = scenario.connections(range.from, range.to).length;

    const events = await connector({ page_size: 7 }).fetchConnections({ hosts: allHosts(), ...range });

    expectScenarioEvents(events, range);
    expect(searches()).toHaveLength(Math.floor(expected / 7) + 1);
    expect(searches().slice(1).every((request) => Array.isArray((request.body as { search_after?: unknown }).search_after))).toBe(true);
    expect(fake.requests.filter((request) => request.path.endsWith('/_pit')).map((request) => `${request.method} ${request.status}`)).toEqual(['POST 200', 'DELETE 200']);
    expect(fake.openPits()).toBe(0);
    expect(budget.acquired).toBe(fake.requestCount());
  });

  it('waits out a 429 es_rejected_execution_exception, retries a 503, and names the rejection when it persists', async () => {
    fake.failNext({ kind: 'rate_limited', retryAfterSeconds: 1 }, { kind: 'server_error' });
    const range = around(MINUTE, MINUTE);

    expectScenarioEvents(await connector().fetchConnections({ hosts: allHosts(), ...range }), range);
    const retries = logLines.filter((line) => line.msg === 'vendor request failed, retrying');
    expect(retries.map(({ status, kind }) => ({ status, kind }))).toEqual([
      { status: 429, kind: 'rate_limited' },
      { status: 503, kind: 'retryable' },
    ]);

    fake.failNext({ kind: 'rate_limited', retryAfterSeconds: 0 }, { kind: 'rate_limited', retryAfterSeconds: 0 }, { kind: 'rate_limited', retryAfterSeconds: 0 });
    const failure = await connector().fetchConnections({ hosts: allHosts(), ...range }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ kind: 'rate_limited', status: 429, source: SOURCE });
    expect(String((failure as Error).message)).toContain('es_rejected_execution_exception');
  });

  it('reports a refused API key as terminal naming the source, and never logs the key', async () => {
    fake.failNext({ kind: 'unauthorized' });

    const failure = await connector().fetchConnections({ hosts: allHosts(), ...around(MINUTE, 0) }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(SourceError);
    expect(failure).toMatchObject({ kind: 'terminal', status: 401, source: SOURCE });
    expect(String((failure as Error).message)).toMatch(/^elastic-test: HTTP 401 .*security_exception/);
    expect(JSON.stringify(logLines)).not.toContain(API_KEY);
  });

  it('retries a truncated and an HTML body; a JSON body of another shape, or partial shards, are clear errors', async () => {
    fake.failNext({ kind: 'truncated' }, { kind: 'garbage' });
    const range = around(MINUTE, 0);
    expectScenarioEvents(await connector().fetchConnections({ hosts: allHosts(), ...range }), range);

    fake.failNext({ kind: 'unexpected_json' });
    const failure = await connector().fetchConnections({ hosts: allHosts(), ...range }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ kind: 'terminal', source: SOURCE });
    expect(String((failure as Error).message)).toContain('_pit answered an unexpected body (id:');

    expect(() => requireComplete(SOURCE, { timed_out: false, _shards: { failed: 1 } })).toThrow(/partial results/);
  });

  it('sends hostile host names as JSON string values of term and prefix queries: read back whole, nothing matches', async () => {
    const hostile = ['* OR host.name:*', 'evil" } }, { "match_all": {', 'fin-ws-04*'];

    const events = await connector().fetchConnections({ hosts: hostile.map((hostname) => ({ hostname })), ...around(MINUTE, 0) });

    expect(events).toEqual([]);
    const queried = fake.queriedHostNames();
    for (const name of hostile) expect(queried).toContain(name);
    expect(fake.requests.every((request) => request.status === 200 && !request.error)).toBe(true);
  });

  it('aggregates a 7-day baseline in Elasticsearch with a composite aggregation, page by page', async () => {
    const range = around(7 * DAY_MS, 0);

    const entries = await connector({ page_size: 10 }).fetchBaseline({ hosts: allHosts(), ...range });

    const compositePages = fake.requests.filter((request) => request.path.endsWith('/_search') && request.path !== '/_search');
    expect(compositePages.length).toBeGreaterThan(2);
    const expected = new Map<string, BaselineEntry>();
    for (const c of scenario.connections(range.from, range.to)) {
      const entry: BaselineEntry = {
        host: c.host.hostname, // named as the watch names the host it asked for
        process_path: c.process.path,
        process_name: c.process.name,
        sha1: defendHost(c) ? c.process.sha1 : undefined,
        dst_ip: c.dst.ip,
        dst_hostname: defendHost(c) ? undefined : c.dst.hostname,
        dst_port: c.dst.port,
        protocol: c.protocol,
        count: 1,
        first_seen: c.time,
        last_seen: c.time,
      };
      const key = JSON.stringify([entry.host, entry.process_path, entry.dst_ip, entry.dst_hostname, entry.dst_port, entry.protocol]);
      const seen = expected.get(key);
      expected.set(key, seen ? { ...seen, count: seen.count + 1, last_seen: c.time } : entry);
    }
    expect(sorted(entries)).toEqual(sorted([...expected.values()]));

    const cut = await connector({ page_size: 10, baseline_max_pages: 2 }).fetchBaseline({ hosts: allHosts(), ...range });
    expect(cut).toHaveLength(20);
    expect(logLines.some((line) => line.msg === 'baseline larger than baseline_max_pages; the rest of it is not read')).toBe(true);
  });

  it('gives the estate prevalence searches prevalence_timeout, not the per-request timeout its baseline keeps', async () => {
    await fake.close();
    fake = await startFakeElastic({ scenario, apiKey: API_KEY, answerDelayMs: 1_500 });
    const slow = connector({ timeout: '1s', max_retries: 0, prevalence_timeout: '1m' });
    const range = around(7 * DAY_MS, 0);

    const late = await slow.fetchBaseline({ hosts: allHosts(), ...range }).catch((error: unknown) => error);
    expect(late).toMatchObject({ kind: 'retryable', source: SOURCE });
    const answer = await slow.fetchPrevalence!({ ...range, minDestinationHosts: 2, maxDestinations: 50_000 });
    expect(answer.host_count).toBeGreaterThan(0);
  });

  it('aggregates the estate prevalence in size-0 searches: distinct host.id overall, per transport/port and per destination', async () => {
    const range = around(7 * DAY_MS, 0);

    const answer = await connector({ page_size: 2 }).fetchPrevalence!({ ...range, minDestinationHosts: 2, maxDestinations: 50_000 });

    const ports = new Map<string, Set<string>>();
    const destinations = new Map<string, Set<string>>();
    const add = (map: Map<string, Set<string>>, key: string, host: string) => map.set(key, (map.get(key) ?? new Set()).add(host));
    for (const c of scenario.connections(range.from, range.to)) {
      add(ports, `${c.protocol}/${c.dst.port}`, c.host.hostname);
      add(destinations, c.dst.ip, c.host.hostname);
      // Only Sysmon logs the name it resolved: names count the Sysmon hosts.
      if (c.dst.hostname && !defendHost(c)) add(destinations, c.dst.hostname, c.host.hostname);
    }
    expect(answer.host_count).toBe(scenario.hosts.length);
    expect(answer.ports.map((row) => `${row.protocol}/${row.port}=${row.hosts}`).sort()).toEqual([...ports].map(([key, hosts]) => `${key}=${hosts.size}`).sort());
    const widespread = [...destinations].filter(([, hosts]) => hosts.size >= 2);
    expect(widespread.some(([destination]) => destination.endsWith('.com'))).toBe(true);
    expect(answer.destinations.map((row) => `${row.destination}=${row.hosts}`).sort()).toEqual(widespread.map(([key, hosts]) => `${key}=${hosts.size}`).sort());
    expect(answer.partial).toBe(false);

    const pages = fake.requests.filter((request) => request.path.endsWith('/_search') && request.path !== '/_search');
    expect(pages).toHaveLength(Math.floor(ports.size / 2) + 1);
    const [first, ...rest] = pages.map((request) => request.body as { aggs: Record<string, { terms?: { size: number }; composite?: { after?: unknown } }> });
    expect(Object.keys(first!.aggs).sort()).toEqual(['destination_domains', 'destination_ips', 'estate_hosts', 'ports']);
    // A terms aggregation returns at most 20,000 buckets, whatever was asked for.
    expect(first!.aggs.destination_ips?.terms?.size).toBe(20_000);
    expect(rest.every((body) => Object.keys(body.aggs).join() === 'ports' && body.aggs.ports?.composite?.after !== undefined)).toBe(true);
    expect(fake.requests.some((request) => request.path.endsWith('/_pit'))).toBe(false);
    expect(budget.acquired).toBe(fake.requestCount());
  });

  it('answers an empty estate prevalence, not an error, for a window with no telemetry yet', async () => {
    const from = new Date(Date.now() + 10 * MINUTE);

    const answer = await connector().fetchPrevalence!({ from, to: new Date(from.getTime() + 10 * MINUTE), minDestinationHosts: 2, maxDestinations: 100 });

    expect(answer).toEqual({ host_count: 0, ports: [], destinations: [], partial: false });
  });

  it('says in its coverage notes that Elastic Defend deduplicates repeated connections, unless told otherwise', () => {
    expect(connector().coverageNotes).toMatch(/Elastic Defend drops repeated network events/);
    expect(connector({ defend_deduplicates: false }).coverageNotes).toBeUndefined();
    expect(connector({ indices: ['logs-windows.sysmon_operational-*'] }).coverageNotes).toBeUndefined();
  });

  it('stops paging when the caller aborts and still releases the point in time', async () => {
    const controller = new AbortController();
    const reading = connector({ page_size: 1 }).fetchConnections({ hosts: allHosts(), ...around(2 * MINUTE, 2 * MINUTE), signal: controller.signal });
    await expect.poll(() => searches().length).toBeGreaterThan(2);
    controller.abort(new Error('watch closed'));

    await expect(reading).rejects.toThrow('watch closed');
    await expect.poll(() => fake.openPits()).toBe(0);
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

  it('re-reads a covered range by event.ingested: what was ingested since, to the second; a document without it always', async () => {
    const range = around(3 * MINUTE, 3 * MINUTE);
    const whole = await connector().fetchConnections({ hosts: allHosts(), ...range });
    const until = new Date(range.from.getTime() + 4 * MINUTE);
    // A connection before `until` ingested at a fraction of a second: its whole-second stamp is before ingestedSince.
    const pivot = whole.findLast((event) => event.time < until.getTime() - MINUTE && event.time % 1_000 !== 0)!;
    const covered = { until, ingestedSince: new Date(pivot.time) };
    const reread = await connector().fetchConnections({ hosts: allHosts(), ...range, covered });

    // The fake ingests a connection at its own time (no delay), so "ingested since" is its time, to the second.
    const wanted = whole.filter((event) => event.time >= until.getTime() || event.time >= Math.floor(pivot.time / 1_000) * 1_000);
    expect(sorted(reread.map((event) => event.id))).toEqual(sorted(wanted.map((event) => event.id)));
    expect(reread.map((event) => event.id)).toContain(pivot.id);
    expect(reread.length).toBeLessThan(whole.length);

    const unstamped = await startFakeElastic({ scenario, apiKey: API_KEY, stampsIngested: false });
    try {
      const config = ElasticConfigSchema.parse({ id: SOURCE, type: 'elastic', base_url: unstamped.url, api_key: API_KEY, timeout: '30s' });
      const read = await elasticConnector.create(config, { logger: capturingLogger(logLines, 'debug') }).fetchConnections({ hosts: allHosts(), ...range, covered });
      expect(sorted(read.map((event) => event.id))).toEqual(sorted(whole.map((event) => event.id)));
    } finally {
      await unstamped.close();
    }
  });

  it('defaults to the Defend and Sysmon data streams, and names a misspelt key or a bad index', () => {
    const base = { id: SOURCE, type: 'elastic', base_url: 'https://acme.es.example', api_key: API_KEY };
    expect(ElasticConfigSchema.parse(base).indices).toEqual(['logs-endpoint.events.network-*', 'logs-windows.sysmon_operational-*']);
    const typo = ElasticConfigSchema.safeParse({ ...base, indexes: ['logs-*'] });
    expect(JSON.stringify(typo.error?.issues)).toContain('indexes');
    const comma = ElasticConfigSchema.safeParse({ ...base, indices: ['logs-*,secrets'] });
    expect(comma.error?.issues[0]?.path).toEqual(['indices', 0]);
  });
});
