import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BaselineEntry, ConnectionEvent } from '../../src/contracts/connection-event.js';
import type { Scenario, SimConnection } from '../../src/dev/scenario/index.js';
import { startFakeSplunk, type FakeSplunk } from '../../src/sources/splunk/dev/fake-splunk-server.js';
import { SourceError } from '../../src/sources/source-error.js';
import { SplunkConfigSchema, splunkConnector } from '../../src/sources/splunk/index.js';
import { eventSelection } from '../../src/sources/splunk/spl.js';
import type { HostRef, SourceConnector } from '../../src/sources/types.js';
import { CountingBudget, DAY_MS, MINUTE, aroundBlock, capturingLogger, expectSameConnections, fallbackScenario, sorted } from '../helpers/connector-test.js';

const SOURCE = 'splunk-test';
const TOKEN = 'splunk-token-not-real-0001';

let fake: FakeSplunk;
let scenario: Scenario;
let logLines: Record<string, unknown>[];
let budget: CountingBudget;

beforeEach(async () => {
  logLines = [];
  budget = new CountingBudget();
  scenario = fallbackScenario();
  fake = await startFakeSplunk({ scenario, token: TOKEN });
});

afterEach(async () => {
  await fake.close();
});

function connector(overrides: Record<string, unknown> = {}): SourceConnector {
  const config = SplunkConfigSchema.parse({
    id: SOURCE,
    type: 'splunk',
    base_url: fake.url,
    token: TOKEN,
    job_poll_interval: '50ms',
    timeout: '1s',
    ...overrides,
  });
  return splunkConnector.create(config, { logger: capturingLogger(logLines, 'warn'), budget });
}

const around = (beforeMs: number, afterMs: number) => aroundBlock(scenario, beforeMs, afterMs);
const allHosts = (): HostRef[] => scenario.hosts.map((host) => ({ hostname: host.hostname }));

/** What Sysmon Event ID 3 can tell about a connection: no hashes, no command line, no outcome. */
const fromEvent = (event: ConnectionEvent) => ({
  host: event.device.hostname,
  ip: event.device.ip,
  time: event.time,
  process: event.process?.path,
  name: event.process?.name,
  pid: event.process?.pid,
  user: event.process?.user,
  dst: `${event.dst_endpoint.ip}:${event.dst_endpoint.port}`,
  dst_host: event.dst_endpoint.hostname,
  protocol: event.protocol,
});
const fromSim = (connection: SimConnection) => ({
  host: connection.host.fqdn,
  ip: connection.host.ip,
  time: connection.time,
  process: connection.process.path,
  name: connection.process.name,
  pid: connection.process.pid,
  user: connection.process.user,
  dst: `${connection.dst.ip}:${connection.dst.port}`,
  dst_host: connection.dst.hostname,
  protocol: connection.protocol,
});

function expectScenarioEvents(events: ConnectionEvent[], range: { from: Date; to: Date }, fqdns?: string[]) {
  const expected = scenario.connections(range.from, range.to).filter((c) => !fqdns || fqdns.includes(c.host.fqdn));
  expectSameConnections(events, expected, fromEvent, fromSim);
}

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

describe('Splunk connector against the search jobs API fake', () => {
  it('returns the Sysmon connections of the watched hosts, whichever name each host is known by', async () => {
    const range = around(2 * MINUTE, 2 * MINUTE);
    const [ws41, ws42, ws43] = scenario.hosts;
    const hosts: HostRef[] = [{ hostname: ws41?.hostname }, { hostname: ws42?.fqdn.toUpperCase() }, { ip: ws43?.ip }];

    const events = await connector().fetchConnections({ hosts, ...range });

    expectScenarioEvents(events, range);
    const fallback = events.filter((event) => event.dst_endpoint.ip === '192.0.2.44');
    expect(fallback.length).toBeGreaterThan(5);
    expect(fallback[0]).toMatchObject({
      source: SOURCE,
      device: { hostname: 'fin-ws-042.corp.example', ip: '10.20.1.42' },
      process: { name: 'rundll32.exe', path: 'C:\\Windows\\System32\\rundll32.exe', user: 'CORP\\bernard.klein' },
      dst_endpoint: { port: 8443 },
      protocol: 'tcp',
      direction: 'outbound',
      // Sysmon logs the attempt, not whether it got through.
      outcome: 'unknown',
    });
    expect(fallback[0]?.id).toMatch(/^splunk:fin-ws-042\.corp\.example:\d+$/);
  });

  it('runs one job per poll: created with the time range, polled until DONE, paged, then deleted', async () => {
    const range = around(2 * MINUTE, MINUTE);
    const expected = scenario.connections(range.from, range.to).length;

    const events = await connector({ page_size: 20 }).fetchConnections({ hosts: allHosts(), ...range });

    expect(events).toHaveLength(expected);
    // The job says how many results it has, so a last full page is not followed by an empty one.
    const pages = Math.max(1, Math.ceil(expected / 20));
    expect(fake.requests.map((request) => `${request.method} ${request.status}`)).toEqual([
      'POST 201',
      'GET 200',
      'GET 200',
      ...Array.from({ length: pages }, () => 'GET 200'),
      'DELETE 200',
    ]);
    expect(fake.requests[0]?.path).toBe('/services/search/v2/jobs');
    expect(fake.requests[0]?.commands?.map((command) => command.kind)).toEqual(['search', 'where', 'table']);
    expect(fake.openJobs()).toEqual([]);
    expect(budget.acquired).toBe(fake.requests.length);
  });

  it('fails a poll whose job reached Splunk’s result cap rather than return a cut result', async () => {
    const error = await failure(connector({ max_results: 10 }).fetchConnections({ hosts: allHosts(), ...around(2 * MINUTE, MINUTE) }));

    expect(error).toMatchObject({ kind: 'terminal', source: SOURCE });
    expect(String((error as Error).message)).toContain('max_results');
    expect(fake.openJobs()).toEqual([]);
  });

  it('speaks the v1 paths when configured for an older Splunk', async () => {
    await connector({ api_version: 'v1' }).fetchConnections({ hosts: allHosts(), ...around(MINUTE, 0) });

    expect(fake.requests.every((request) => request.path.startsWith('/services/search/jobs'))).toBe(true);
  });

  it('waits out the concurrent-search limit as rate limited, retries a 500, and loses nothing', async () => {
    fake.failNext({ kind: 'rate_limited', retryAfterSeconds: 1 }, { kind: 'server_error' });
    const range = around(MINUTE, MINUTE);

    const events = await connector().fetchConnections({ hosts: allHosts(), ...range });

    expectScenarioEvents(events, range);
    const retries = logLines.filter((line) => line.msg === 'vendor request failed, retrying');
    expect(retries.map(({ status, kind }) => ({ status, kind }))).toEqual([
      { status: 503, kind: 'rate_limited' },
      { status: 500, kind: 'retryable' },
    ]);
    expect(retries[0]?.wait_ms).toBe(1_000);
    expect(JSON.stringify(logLines)).not.toContain(TOKEN);
  });

  it('reports a rejected token as terminal, with splunkd’s own message', async () => {
    const error = await failure(connector({ token: 'wrong-token' }).fetchConnections({ hosts: allHosts(), ...around(MINUTE, 0) }));

    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ kind: 'terminal', status: 401, source: SOURCE });
    expect(String((error as Error).message)).toMatch(/^splunk-test: HTTP 401 .*call not properly authenticated/);
    expect(String((error as Error).message)).not.toContain('wrong-token');
  });

  it('reports a job that fails with the job’s messages, and deletes it', async () => {
    fake.failNextJob("Error in 'where' command: Typechecking failed.");

    const error = await failure(connector().fetchConnections({ hosts: allHosts(), ...around(MINUTE, 0) }));

    expect(error).toMatchObject({ kind: 'terminal', source: SOURCE });
    expect(String((error as Error).message)).toContain('Typechecking failed');
    expect(fake.openJobs()).toEqual([]);
  });

  it.each([
    ['running', { checksUntilDone: Number.POSITIVE_INFINITY }, 200],
    ['answering 204 No Content', { notReadyChecks: Number.POSITIVE_INFINITY }, 204],
  ] as const)('gives up on a job still %s at job_timeout as retryable, and deletes it', async (_state, stuck, checkStatus) => {
    await fake.close();
    fake = await startFakeSplunk({ scenario, token: TOKEN, ...stuck });

    const error = await failure(connector({ job_timeout: '1s' }).fetchConnections({ hosts: allHosts(), ...around(MINUTE, 0) }));

    expect(error).toMatchObject({ kind: 'retryable', source: SOURCE });
    expect(String((error as Error).message)).toMatch(/did not finish within 1000 ms/);
    expect(fake.requests.filter((request) => request.method === 'GET').every((request) => request.status === checkStatus)).toBe(true);
    expect(fake.requests.at(-1)?.method).toBe('DELETE');
    expect(fake.openJobs()).toEqual([]);
  });

  it.each(['v2', 'v1'] as const)(
    'keeps polling a %s job that splunkd answers 204 No Content while queued, and returns the same connections',
    async (apiVersion) => {
      const range = around(2 * MINUTE, MINUTE);
      const ready = await connector({ api_version: apiVersion }).fetchConnections({ hosts: allHosts(), ...range });
      await fake.close();
      fake = await startFakeSplunk({ scenario, token: TOKEN, notReadyChecks: 2 });

      const events = await connector({ api_version: apiVersion }).fetchConnections({ hosts: allHosts(), ...range });

      expectScenarioEvents(events, range);
      expect(sorted(events)).toEqual(sorted(ready));
      const jobs = fake.requests.filter((request) => request.method === 'POST');
      expect(jobs.length).toBeGreaterThan(0);
      for (const job of jobs) {
        const created = fake.requests.indexOf(job);
        const checks = fake.requests.slice(created + 1, created + 5).map((request) => `${request.method} ${request.status}`);
        expect(checks).toEqual(['GET 204', 'GET 204', 'GET 200', 'GET 200']);
      }
      expect(fake.requests.filter((request) => request.status >= 300)).toEqual([]);
      expect(logLines.filter((line) => line.msg === 'vendor request failed, retrying')).toEqual([]);
      expect(fake.openJobs()).toEqual([]);
    },
  );


  it('stops polling when the caller aborts, and still deletes the job', async () => {
    await fake.close();
    fake = await startFakeSplunk({ scenario, token: TOKEN, checksUntilDone: Number.POSITIVE_INFINITY });

    const error = await failure(connector().fetchConnections({ hosts: allHosts(), ...around(MINUTE, 0), signal: AbortSignal.timeout(300) }));

    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(fake.openJobs()).toEqual([]);
  });

  it('sends hostile host names as literal values: the fake reads them back whole and they match nothing', async () => {
    const hostile = ['evil" OR 1==1 | delete', '*', 'x\\" | [search index=*]', 'FIN-WS-042'];
    const range = around(MINUTE, MINUTE);

    const events = await connector().fetchConnections({ hosts: hostile.map((hostname) => ({ hostname })), ...range });

    expect(fake.queriedHostNames()).toEqual(hostile.map((name) => name.toLowerCase()));
    expect(fake.requests[0]?.commands?.map((command) => command.kind)).toEqual(['search', 'where', 'table']);
    expectScenarioEvents(events, range, ['fin-ws-042.corp.example']);
  });

  it('reads the index and sourcetype it is configured with, or a custom search', async () => {
    const range = around(MINUTE, MINUTE);
    const elsewhere = await connector({ index: 'windows' }).fetchConnections({ hosts: allHosts(), ...range });
    const custom = await connector({ search: 'index=sysmon EventCode=3' }).fetchConnections({ hosts: allHosts(), ...range });

    expect(elsewhere).toEqual([]);
    expectScenarioEvents(custom, range);
    expect(SplunkConfigSchema.safeParse({ id: 'x', type: 'splunk', base_url: fake.url, token: 't', search: 'x', index: 'y' }).error?.issues[0]?.path).toEqual(['search']);
  });

  it('names a misspelt config key', () => {
    const parsed = SplunkConfigSchema.safeParse({ id: 'x', type: 'splunk', base_url: fake.url, token: 't', page_sise: 10 });

    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain('page_sise');
  });

  it('lets Splunk aggregate a 7-day baseline per host, process, destination, port and protocol', async () => {
    const range = around(7 * DAY_MS, 0);

    const entries = await connector({ page_size: 25 }).fetchBaseline({ hosts: allHosts(), ...range });

    expect(fake.requests[0]?.commands?.map((command) => command.kind)).toEqual(['search', 'where', 'fillnull', 'stats']);
    expect(fake.requests.filter((request) => request.method === 'POST')).toHaveLength(1);
    const expected = new Map<string, BaselineEntry>();
    for (const c of scenario.connections(range.from, range.to)) {
      const entry: BaselineEntry = {
        host: c.host.hostname, // named as the watch names the host it asked for
        process_path: c.process.path,
        process_name: c.process.name,
        dst_ip: c.dst.ip,
        dst_hostname: c.dst.hostname,
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
    expect(entries.some((entry) => entry.dst_hostname === undefined && entry.dst_port === 53)).toBe(true);
  });

  it('reads a 7-day estate prevalence as three stats jobs over the configured selection, none filtered by host', async () => {
    const range = around(7 * DAY_MS, 0);

    const answer = await connector({ page_size: 25 }).fetchPrevalence!({ ...range, minDestinationHosts: 2, maxDestinations: 20_000 });

    const searches = fake.requests.filter((request) => request.method === 'POST');
    expect(searches.map((request) => request.search?.split('\n')[0])).toEqual(Array.from({ length: 3 }, () => eventSelection({})));
    expect(searches.map((request) => request.commands?.map((command) => command.kind))).toEqual([
      ['search', 'stats'],
      ['search', 'fillnull', 'stats'],
      ['search', 'eval', 'stats', 'where', 'sort'],
    ]);
    expect(fake.queriedHostNames()).toEqual([]);
    expect(fake.openJobs()).toEqual([]);
    expect(budget.acquired).toBe(fake.requests.length);
    const seen = new Map<string, Set<string>>();
    for (const c of scenario.connections(range.from, range.to)) {
      for (const destination of [c.dst.ip, c.dst.hostname?.toLowerCase()]) {
        if (destination) seen.set(destination, (seen.get(destination) ?? new Set()).add(c.host.fqdn));
      }
    }
    const widespread = [...seen].filter(([, hosts]) => hosts.size >= 2);
    expect(widespread.length).toBeGreaterThan(25);
    expect(sorted(answer.destinations)).toEqual(sorted(widespread.map(([destination, hosts]) => ({ destination, hosts: hosts.size }))));
    expect(answer).toMatchObject({ host_count: scenario.hosts.length, partial: false });
  });

  it('gives the estate prevalence jobs prevalence_timeout, not the poll’s job_timeout', async () => {
    await fake.close();
    fake = await startFakeSplunk({ scenario, token: TOKEN, checksUntilDone: 4 });
    const slow = connector({ job_timeout: '1s', job_poll_interval: '300ms', prevalence_timeout: '1m' });
    const range = around(MINUTE, 0);

    const late = await failure(slow.fetchConnections({ hosts: allHosts(), ...range }));
    expect(String((late as Error).message)).toMatch(/did not finish within 1000 ms/);
    const answer = await slow.fetchPrevalence!({ ...range, minDestinationHosts: 1, maxDestinations: 1_000 });
    expect(answer.host_count).toBeGreaterThan(0);
    expect(answer.host_count).toBe(new Set(scenario.connections(range.from, range.to).map((c) => c.host.hostname)).size);
    expect(fake.openJobs()).toEqual([]);
  });

  it('marks the prevalence partial, not failed, when a job reached Splunk’s result cap', async () => {
    const answer = await connector({ max_results: 3 }).fetchPrevalence!({ ...around(DAY_MS, 0), minDestinationHosts: 2, maxDestinations: 20_000 });

    expect(answer.partial).toBe(true);
    expect(answer.ports.length).toBeGreaterThan(0);
    expect(logLines.some((line) => line.msg === 'search reached the result cap; its answer may be incomplete')).toBe(true);
    expect(fake.openJobs()).toEqual([]);
  });
});
