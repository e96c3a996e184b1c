import { isIP } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectionEventSchema, type ConnectionEvent } from '../../src/contracts/connection-event.js';
import { SourcePrevalenceSchema, type SourcePrevalence } from '../../src/contracts/prevalence.js';
import { buildBaseline } from '../../src/detect/baseline.js';
import { createHostMatcher, hostIdentity } from '../../src/contracts/host-identity.js';
import { DetectionSettingsSchema } from '../../src/detect/settings.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createScenario, FALLBACK_C2, type Scenario, type SimConnection, type SimHost } from '../../src/dev/scenario/index.js';
import type { RequestBudget } from '../../src/sources/http/request-budget.js';
import { connectorFor } from '../../src/sources/registry.js';
import { SourceError } from '../../src/sources/source-error.js';
import type { BaselineEntry } from '../../src/contracts/connection-event.js';
import type { HostRef, SourceConnector } from '../../src/sources/types.js';
import { loadVendorDevKits } from '../../src/dev/vendors.js';
import type { ConnectorHarness, FakeVendor } from '../../src/dev/conformance-harness.js';

/**
 * One suite every source connector passes against its loopback fake (after BullMQ's adapter conformance suite).
 * Driven from src/sources/registry.ts: every registered connector runs it with the harness of its dev kit
 * (src/sources/<type>/dev/), and one without a kit fails the suite.
 */
const harnesses: ConnectorHarness[] = (await loadVendorDevKits()).map((kit) => kit.harness);

const HOSTILE_NAMES = [
  'evil" or 1==1 | project x',
  "evil' OR '1'='1",
  'FIN-WS-042) or (DeviceName has "a"',
  'back\\slash\\" | where true',
  '* OR host.name:*',
  'host AND NOT other',
  'x | delete',
  '$(whoami)',
  '[subsearch index=*]',
  'name // comment',
];

/** The prevalence a source must report for `connections`: counted here by hand, not by the product's helpers. */
function expectedPrevalence(connections: readonly SimConnection[], minDestinationHosts: number) {
  const hosts = new Set<string>();
  const ports = new Map<string, Set<string>>();
  const destinations = new Map<string, Set<string>>();
  const add = (map: Map<string, Set<string>>, key: string, host: string) => map.set(key, (map.get(key) ?? new Set()).add(host));
  for (const connection of connections) {
    hosts.add(connection.host.ip);
    add(ports, `${connection.protocol}/${connection.dst.port}`, connection.host.ip);
    add(destinations, connection.dst.ip, connection.host.ip);
    if (connection.dst.hostname) add(destinations, connection.dst.hostname.toLowerCase(), connection.host.ip);
  }
  const widespread = [...destinations].filter(([, seen]) => seen.size >= minDestinationHosts);
  return {
    host_count: hosts.size,
    ports: [...ports].map(([key, seen]) => `${key}=${seen.size}`).sort(),
    destinations: widespread.map(([destination, seen]) => `${destination}=${seen.size}`).sort(),
  };
}

type HostForm = 'ip' | 'name' | 'id';

/** What a baseline says apart from whose it is, for comparing one host's history however it was asked for. */
const historyOf = (entries: readonly BaselineEntry[]) => ({
  connections: entries.reduce((sum, entry) => sum + entry.count, 0),
  tuples: [...new Set(entries.map((entry) => `${entry.process_path ?? ''}|${entry.dst_ip ?? ''}|${entry.dst_port ?? ''}|${entry.protocol}`))].sort(),
});

const portRows = (answer: SourcePrevalence) => answer.ports.map((row) => `${row.protocol}/${row.port ?? ''}=${row.hosts}`).sort();
const destinationRows = (answer: SourcePrevalence) => answer.destinations.map((row) => `${row.destination}=${row.hosts}`).sort();
const isIpRow = (row: string) => isIP(row.slice(0, row.lastIndexOf('='))) !== 0;

class CountingBudget implements RequestBudget {
  acquired = 0;
  async acquire(): Promise<void> {
    this.acquired += 1;
  }
}

describe.each(harnesses.map((harness) => [harness.type, harness] as const))('%s connector conformance', (_type, harness) => {
  const blockedAt = new Date(Date.now() - 10 * 60_000);
  const scenario: Scenario = createScenario('fallback', { blockedAt, fallbackAfterMs: 30_000 });
  const implantHost = scenario.fallback!.host;
  // About a hundred events: a few pages at the harness page size, one page at 10,000.
  const range = { from: new Date(blockedAt.getTime() - 2 * 60_000), to: new Date(blockedAt.getTime() + 3 * 60_000) };
  const hostRefs: HostRef[] = scenario.hosts.map((host) => ({ hostname: host.hostname, ip: host.ip }));

  let fake: FakeVendor;
  let budget: CountingBudget;
  let connector: SourceConnector;
  let sourceId: string;

  const open = async (pageSize: number) => {
    const started = await harness.start(scenario, { pageSize });
    fake = started.fake;
    const module = connectorFor(harness.type);
    if (!module) throw new Error(`${harness.type} is not in the registry`);
    const config = module.configSchema.parse(started.config);
    sourceId = config.id;
    budget = new CountingBudget();
    connector = module.create(config, { logger: silentLogger(), budget });
  };

  beforeEach(async () => {
    await open(25);
  });

  afterEach(async () => {
    await connector.close();
    await fake.close();
  });

  const fetch = (hosts: readonly HostRef[] = hostRefs) => connector.fetchConnections({ hosts, ...range });
  const failure = async (promise: Promise<unknown>): Promise<SourceError> => {
    const error = await promise.then(
      () => undefined,
      (rejection: unknown) => rejection,
    );
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).message).toContain(sourceId);
    return error as SourceError;
  };
  const ids = (events: readonly ConnectionEvent[]) => events.map((event) => event.id).sort();

  it('returns normalized events of the asked hosts and time range, the fallback connection among them', async () => {
    const events = await fetch();
    expect(events.length).toBeGreaterThan(0);
    expect(new Set(ids(events)).size).toBe(events.length);
    const known = new Set(scenario.hosts.flatMap((host) => [host.hostname.toLowerCase(), host.fqdn.toLowerCase(), host.ip]));
    for (const event of events) {
      expect(ConnectionEventSchema.parse(event)).toEqual(event);
      expect(event.source).toBe(sourceId);
      expect(event.time).toBeGreaterThanOrEqual(range.from.getTime());
      expect(event.time).toBeLessThan(range.to.getTime());
      const device = [event.device.hostname?.toLowerCase(), event.device.ip, event.src_endpoint?.ip].filter(Boolean);
      expect(device.some((name) => known.has(name!))).toBe(true);
    }
    const fallback = events.filter((event) => event.dst_endpoint.ip === FALLBACK_C2.ip && event.dst_endpoint.port === FALLBACK_C2.port);
    expect(fallback.length).toBeGreaterThan(0);
    expect(fallback.every((event) => [event.device.hostname?.toLowerCase(), event.device.ip, event.src_endpoint?.ip].some((name) => name === implantHost.ip || name?.startsWith(implantHost.hostname.toLowerCase())))).toBe(true);
  });

  it('delivers the connecting process’s parent and start time as far as the vendor reports them, and invents none', async () => {
    const events = await fetch();
    const implant = scenario.fallback!.process;
    const { parentName, parentPath, startedAtResolutionMs } = harness.processLineage;
    const fallback = events.filter((event) => event.dst_endpoint.ip === FALLBACK_C2.ip && event.dst_endpoint.port === FALLBACK_C2.port);
    expect(fallback.length).toBeGreaterThan(0);
    for (const event of fallback) {
      expect(event.process?.parent_name).toBe(parentName ? implant.parent : undefined);
      expect(event.process?.parent_path).toBe(parentPath ? implant.parent_path : undefined);
      if (startedAtResolutionMs === undefined) {
        expect(event.process?.started_at).toBeUndefined();
      } else {
        // The implant's binary first ran after the block: what the lineage signal looks for.
        expect(implant.started_at).toBeGreaterThan(scenario.blockedAt.getTime());
        expect(event.process?.started_at).toBeGreaterThanOrEqual(implant.started_at!);
        expect(event.process?.started_at).toBeLessThan(implant.started_at! + startedAtResolutionMs);
      }
    }
    // No process connects before it started, and what the vendor lacks is absent from every event.
    for (const event of events) if (event.process?.started_at !== undefined) expect(event.process.started_at).toBeLessThanOrEqual(event.time);
    if (!parentName) expect(events.filter((event) => event.process?.parent_name !== undefined)).toEqual([]);
    if (!parentPath) expect(events.filter((event) => event.process?.parent_path !== undefined)).toEqual([]);
    if (startedAtResolutionMs === undefined) expect(events.filter((event) => event.process?.started_at !== undefined)).toEqual([]);
  });

  it('a host the source does not know returns nothing, and host resolution (where the vendor has it) says so', async () => {
    const stranger = { hostname: 'NOT-A-HOST-404' };
    if (connector.resolveHosts) {
      const [visibility] = await connector.resolveHosts([stranger]);
      expect(visibility).toMatchObject({ visible: false });
      expect(visibility!.reason).toEqual(expect.any(String));
      const resolved = await connector.resolveHosts(hostRefs.slice(0, 1));
      expect(resolved[0]).toMatchObject({ visible: true });
    }
    expect(await fetch([stranger])).toEqual([]);
  });

  it('pages through multi-page results and returns each event once, as one big page would', async () => {
    const requestsBefore = fake.requestCount();
    const paged = await fetch();
    const pagedRequests = fake.requestCount() - requestsBefore;
    await connector.close();
    await fake.close();
    await open(10_000);
    const whole = await fetch();
    expect(ids(paged)).toEqual(ids(whole));
    expect(pagedRequests).toBeGreaterThan(1);
  });

  it('takes every data request from the source request budget', async () => {
    const before = fake.requestCount();
    await fetch();
    expect(budget.acquired).toBeGreaterThanOrEqual(fake.requestCount() - before);
    expect(budget.acquired).toBeGreaterThan(0);
  });

  it('a rejected credential is a terminal error naming the source', async () => {
    fake.failNext({ kind: 'unauthorized' }, { kind: 'unauthorized' }, { kind: 'unauthorized' }, { kind: 'unauthorized' });
    const error = await failure(fetch());
    expect(error.kind).toBe('terminal');
  });

  it('a throttle answer is waited out with the vendor hint, and when it persists it is rate_limited with that hint', async () => {
    const expected = ids(await fetch());
    fake.failNext({ kind: 'rate_limited', retryAfterSeconds: 1 });
    expect(ids(await fetch())).toEqual(expected);

    fake.failNext(...Array.from({ length: 4 }, () => ({ kind: 'rate_limited' as const, retryAfterSeconds: 1 })));
    const error = await failure(fetch());
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterMs).toBeGreaterThan(0);
    expect(error.retryAfterMs).toBeLessThanOrEqual(2_000);
  });

  it('server errors and timeouts are retried, and nothing is lost or doubled', async () => {
    const expected = ids(await fetch());
    fake.failNext({ kind: 'server_error' }, { kind: 'timeout' });
    expect(ids(await fetch())).toEqual(expected);
  });

  it.each(['garbage', 'truncated'] as const)('a %s body is a clear error, never a crash or an empty result', async (kind) => {
    fake.failNext(...Array.from({ length: 4 }, () => ({ kind })));
    const error = await failure(fetch());
    expect(['retryable', 'terminal']).toContain(error.kind);
  });

  it('hostile host names stay literal values: they cannot change the query', async () => {
    const hosts = HOSTILE_NAMES.map((hostname) => ({ hostname }));
    const events = await fetch(hosts);
    expect(events).toEqual([]);
    const queried = fake.queriedHostNames().map((name) => name.toLowerCase());
    if (harness.matchesBy === 'hostname') {
      for (const name of HOSTILE_NAMES) expect(queried).toContain(name.toLowerCase());
    } else {
      expect(queried).toEqual([]);
    }
  });

  describe('hosts given by one identifier', () => {
    /** The host as a SOAR might give it: only its IP, only its name, or only the vendor's id for it. */
    const refOf = (host: SimHost, form: HostForm): HostRef | undefined => {
      if (form === 'ip') return { ip: host.ip };
      if (form === 'name') return { hostname: host.hostname };
      // A firewall is given an id as well: it must say it cannot see the host, not answer with silence.
      const id = harness.deviceIdOf?.(host) ?? (harness.matchesBy === 'ip' ? host.device_id : undefined);
      return id === undefined ? undefined : { edr_id: id };
    };
    /** Firewalls log addresses only; an EDR or SIEM finds a host by any identifier its records carry. */
    const visibleBy = (form: HostForm) => harness.matchesBy === 'hostname' || form === 'ip';
    const forms = (['ip', 'name', 'id'] as const).filter((form) => refOf(implantHost, form) !== undefined);
    const baselineRange = { from: range.from, to: blockedAt };
    const baselineOf = (hosts: readonly HostRef[]) => connector.fetchBaseline({ hosts, ...baselineRange });
    /** Whose row a baseline entry is, read as the watch reads it (baseline-taker, buildBaseline). */
    const ownerOf = (hosts: readonly HostRef[]) => {
      const match = createHostMatcher(hosts);
      return (entry: BaselineEntry) => match.byRef({ uid: entry.host, hostname: entry.host, ip: entry.host });
    };

    it.each(forms)('a host given only by %s: its events, baseline rows and coverage are its own, or it is reported not visible', async (form) => {
      const host = refOf(implantHost, form)!;
      const visible = visibleBy(form);
      if (connector.resolveHosts) {
        const [visibility] = await connector.resolveHosts([host]);
        expect(visibility).toMatchObject({ visible });
        if (!visible) expect(visibility!.reason).toEqual(expect.any(String));
      }
      const events = await fetch([host]);
      const baseline = await baselineOf([host]);
      if (!visible) {
        // Not silently empty: the source's host resolution is what names the host in the coverage as not visible.
        expect(connector.resolveHosts).toBeDefined();
        expect(events).toEqual([]);
        expect(baseline).toEqual([]);
        return;
      }
      const fullRef = { hostname: implantHost.hostname, ip: implantHost.ip };
      const match = createHostMatcher([host]);
      expect(events.filter((event) => match(event) !== host)).toEqual([]);
      expect(ids(events)).toEqual(ids(await fetch([fullRef])));
      expect(events.some((event) => event.dst_endpoint.ip === FALLBACK_C2.ip)).toBe(true);

      // Coverage counts a host as seen when some baseline row is attributed to it.
      expect(baseline.length).toBeGreaterThan(0);
      expect(baseline.filter((entry) => ownerOf([host])(entry) !== host)).toEqual([]);
      const history = historyOf(baseline);
      expect(history).toEqual(historyOf(await baselineOf([fullRef])));
      const window = scenario.connections(baselineRange.from, baselineRange.to).filter((connection) => connection.host === implantHost);
      expect(history.connections).toBe(window.length);
    });

    it('a batch of hosts each given by a different identifier: every row goes to its own host, and prevalence counts each host once', async () => {
      const asked = scenario.hosts.map((host, index) => ({ sim: host, form: (['ip', 'name', 'id'] as const)[index % 3]! }));
      const hosts = asked.map(({ sim, form }) => refOf(sim, form) ?? { hostname: sim.hostname });
      const visible = asked.map(({ sim, form }, index) => (refOf(sim, form) === undefined || visibleBy(form) ? hosts[index] : undefined));
      const match = createHostMatcher(hosts);
      const owner = ownerOf(hosts);
      const events = await fetch(hosts);
      const baseline = await baselineOf(hosts);
      expect(events.filter((event) => match(event) === undefined)).toEqual([]);
      expect(baseline.filter((entry) => owner(entry) === undefined)).toEqual([]);
      for (const [index, host] of hosts.entries()) {
        const own = events.filter((event) => match(event) === host);
        const ownRows = baseline.filter((entry) => owner(entry) === host);
        const sim = asked[index]!.sim;
        if (visible[index] === undefined) {
          expect(own).toEqual([]);
          expect(ownRows).toEqual([]);
          continue;
        }
        // Each host's events are its own: the source IP or device name in them is this host's.
        expect(own.length).toBeGreaterThan(0);
        for (const event of own) {
          const names = [event.device.ip, event.src_endpoint?.ip, event.device.hostname?.toLowerCase().split('.')[0]];
          expect(names.some((name) => name === sim.ip || name === sim.hostname.toLowerCase())).toBe(true);
        }
        const window = scenario.connections(baselineRange.from, baselineRange.to).filter((connection) => connection.host === sim);
        expect(historyOf(ownRows).connections).toBe(window.length);
      }

      // The watch's own prevalence: each host's rows count for that host, once, never as an unknown device beside it.
      const watched = hosts.map((host) => ({ ...host, baseline: 'ready' as const }));
      const snapshot = buildBaseline(baseline, watched, DetectionSettingsSchema.parse({ networks: { internal: ['10.20.0.0/16'] } }));
      const seen = visible.filter((host) => host !== undefined);
      expect(snapshot.hosts.map((entry) => entry.host).sort()).toEqual(seen.map((host) => hostIdentity({ ...host, baseline: 'ready' })).sort());
      expect(snapshot.environment.host_count).toBe(seen.length);

      if (!connector.fetchPrevalence) return;
      const estate = await connector.fetchPrevalence({ ...range, minDestinationHosts: 1, maxDestinations: 1_000 });
      expect(estate.host_count).toBe(scenario.hosts.length);
      const listed = new Map(estate.destinations.map((row) => [row.destination, row.hosts]));
      for (const event of events) expect(listed.get(event.dst_endpoint.ip!)).toBeGreaterThanOrEqual(1);
    });
  });

  describe('estate prevalence', () => {
    const cut = { minDestinationHosts: 2, maxDestinations: 1_000 };
    const prevalence = (overrides: Partial<typeof cut> = {}) => {
      if (!connector.fetchPrevalence) throw new Error(`${harness.type} has no fetchPrevalence`);
      return connector.fetchPrevalence({ ...range, ...cut, ...overrides });
    };

    it('counts every host of the estate per port/protocol and per widespread destination, with no host filter', async () => {
      const answer = SourcePrevalenceSchema.parse(await prevalence());
      const expected = expectedPrevalence(scenario.connections(range.from, range.to), cut.minDestinationHosts);
      expect(answer.host_count).toBe(expected.host_count);
      expect(answer.host_count).toBe(scenario.hosts.length);
      expect(portRows(answer)).toEqual(expected.ports);
      expect(destinationRows(answer).filter(isIpRow)).toEqual(expected.destinations.filter(isIpRow));
      if (harness.destinationNames) expect(destinationRows(answer)).toEqual(expected.destinations);
      expect(answer.partial).toBe(false);
    });

    it('keeps only the most widespread destinations when asked for fewer', async () => {
      const whole = await prevalence();
      const cutDown = await prevalence({ maxDestinations: 2 });
      expect(cutDown.destinations).toHaveLength(Math.min(2, whole.destinations.length));
      const least = Math.min(...cutDown.destinations.map((row) => row.hosts));
      const kept = new Set(cutDown.destinations.map((row) => row.destination));
      for (const row of whole.destinations) if (!kept.has(row.destination)) expect(row.hosts).toBeLessThanOrEqual(least);
      expect(portRows(cutDown)).toEqual(portRows(whole));
    });

    it('takes its requests from the budget, retries a server error, and names the source on garbage', async () => {
      const before = fake.requestCount();
      const expected = await prevalence();
      expect(budget.acquired).toBeGreaterThanOrEqual(fake.requestCount() - before);
      fake.failNext({ kind: 'server_error' });
      expect(portRows(await prevalence())).toEqual(portRows(expected));
      fake.failNext(...Array.from({ length: 4 }, () => ({ kind: 'garbage' as const })));
      const error = await failure(prevalence());
      expect(['retryable', 'terminal']).toContain(error.kind);
    });
  });
});
