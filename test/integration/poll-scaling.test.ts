import { PassThrough } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BaselineEntry, ConnectionEvent } from '../../src/contracts/connection-event.js';
import type { Indicator } from '../../src/contracts/containment-request.js';
import { WatchSchema, type Watch, type WatchedHost } from '../../src/contracts/watch.js';
import { createScenario } from '../../src/dev/scenario/index.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { createWorkerParts, pollerDepsOf } from '../../src/runtime/build.js';
import type { WorkerParts } from '../../src/runtime/worker-parts.js';
import { startFakeMde, type FakeMde } from '../../src/sources/mde/dev/fake-mde-server.js';
import type { SourceConnector, TimeRangeQuery } from '../../src/sources/types.js';
import type { WatchStore } from '../../src/stores/watch-store.js';
import { DetectorCache } from '../../src/watch/detector-cache.js';
import { SourcePoller } from '../../src/watch/source-poller.js';
import { mdeSourceYaml, testConfig } from '../helpers/config.js';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;
const MDE = 'mde-prod';
const SCRIPTED = 'scripted';
const INGESTING = 'ingesting';
const NOW = Math.floor(Date.now() / MINUTE) * MINUTE;
const iso = (ms: number) => new Date(ms).toISOString();

function watchOf(id: string, options: { blockedAt: number; hosts: WatchedHost[]; source: string; blocked?: Indicator[] }): Watch {
  return WatchSchema.parse({
    id,
    incident_id: `INC-${id}`,
    blocked: options.blocked ?? [{ type: 'ip', value: '203.0.113.7' }],
    blocked_at: iso(options.blockedAt),
    hosts: options.hosts,
    sources: [options.source],
    duration_ms: DAY,
    poll_interval_ms: MINUTE,
    baseline_ms: 7 * DAY,
    state: 'watching',
    baseline_taken_at: iso(options.blockedAt),
    opened_by: 'test',
    created_at: iso(options.blockedAt),
    updated_at: iso(options.blockedAt),
    expires_at: iso(options.blockedAt + DAY),
    action_ids: [],
    audit: [],
  });
}

const host = (hostname: string, ip: string): WatchedHost => ({ hostname, ip, baseline: 'ready' });

/** Connections of `device`'s browser (allowed by the built-in catalog) to one site, by id and time. */
const browsingOf = (device: string, siteIp: string) => (id: string, time: number) => ({
  id,
  time,
  device: { hostname: device },
  process: { path: 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe' },
  dst_endpoint: { ip: siteIp, port: 443 },
  protocol: 'tcp',
  outcome: 'success' as const,
});

/**
 * Telemetry answered by time range like a vendor API (one read per poll, all hosts fitting one batch). Per event id,
 * the reads in which detection looked at the event: its first question is the direction, which routing, host
 * bookkeeping and recording never ask.
 */
class ScriptedSource implements SourceConnector {
  readonly id = SCRIPTED;
  readonly type = 'scripted';
  readonly maxHostsPerQuery = 100;
  readonly lookbackMs = 10 * MINUTE;
  private readonly judgedIn = new Map<string, Set<number>>();
  private reads = 0;
  events: ConnectionEvent[] = [];

  /** Per event id, in how many polls detection judged it. */
  judged(): Record<string, number> {
    return Object.fromEntries([...this.judgedIn].map(([id, reads]) => [id, reads.size]));
  }

  add(event: Omit<ConnectionEvent, 'direction' | 'source'>): void {
    const reads = new Set<number>();
    this.judgedIn.set(event.id, reads);
    this.events.push(
      Object.defineProperty({ ...event, source: SCRIPTED }, 'direction', {
        enumerable: true,
        get: () => {
          reads.add(this.reads);
          return 'outbound';
        },
      }) as ConnectionEvent,
    );
  }

  async fetchConnections(query: TimeRangeQuery): Promise<ConnectionEvent[]> {
    this.reads += 1;
    return this.events.filter((event) => event.time >= query.from.getTime() && event.time < query.to.getTime());
  }
  async fetchBaseline(): Promise<BaselineEntry[]> {
    return [];
  }
  async close(): Promise<void> {}
}

/**
 * A vendor that stamps each event with when it ingested it and filters re-reads on that stamp, as advanced hunting's
 * `ingestion_time()` does: an event is searchable from its ingestion on (`clock` is the vendor's now), and of the
 * covered part of a range only events ingested since are returned.
 */
class IngestingSource implements SourceConnector {
  readonly id = INGESTING;
  readonly type = 'ingesting';
  readonly maxHostsPerQuery = 100;
  readonly lookbackMs = 10 * MINUTE;
  readonly ingestionOverlapMs = 10 * SECOND;
  clock = 0;
  readonly asked: TimeRangeQuery[] = [];
  private readonly events: { event: ConnectionEvent; ingestedAt: number }[] = [];

  add(event: Omit<ConnectionEvent, 'direction' | 'source'>, ingestedAt: number): void {
    this.events.push({ event: { ...event, source: INGESTING, direction: 'outbound' } as ConnectionEvent, ingestedAt });
  }

  async fetchConnections(query: TimeRangeQuery): Promise<ConnectionEvent[]> {
    this.asked.push(query);
    const covered = query.covered;
    return this.events
      .filter(({ event, ingestedAt }) => ingestedAt <= this.clock && event.time >= query.from.getTime() && event.time < query.to.getTime())
      .filter(({ event, ingestedAt }) => !covered || event.time >= covered.until.getTime() || ingestedAt >= covered.ingestedSince.getTime())
      .map(({ event }) => event);
  }
  async fetchBaseline(): Promise<BaselineEntry[]> {
    return [];
  }
  async close(): Promise<void> {}
}

describe('a coalesced poll at scale', () => {
  const prefix = uniquePrefix('poll-scaling');
  const redis = new Redis(TEST_REDIS_URL);
  const scripted = new ScriptedSource();
  const ingesting = new IngestingSource();
  let mde: FakeMde;
  let parts: WorkerParts;
  let created: string[] = [];

  const create = async (watch: Watch) => {
    await parts.store.create(watch);
    created.push(watch.id);
  };
  const setState = (id: string, state: Watch['state']) => parts.store.update(id, (watch) => ({ ...watch, state }));

  beforeAll(async () => {
    mde = await startFakeMde({
      scenario: createScenario('benign', { blockedAt: new Date(NOW - 2 * 60 * MINUTE), timeScale: 1 }),
      tenantId: 'test-tenant',
      clientId: 'test-client',
      clientSecret: 'test-secret',
    });
    const config = testConfig({
      prefix,
      yaml: `sources:\n${mdeSourceYaml(mde.url, '    max_hosts_per_query: 2\n    max_retries: 0\n')}networks:\n  internal: [10.20.0.0/16]\n  resolvers: [10.20.0.10]\n`,
    });
    const built = createWorkerParts({ config, redis, logger: silentLogger(), metrics: createMetrics(), reporterOut: new PassThrough() });
    parts = { ...built, connectors: new Map<string, SourceConnector>([...built.connectors, [SCRIPTED, scripted], [INGESTING, ingesting]]) };
  });

  afterEach(async () => {
    // Each test's watches leave the sources, so the next test's poll reads only its own.
    for (const id of created) await setState(id, 'closed');
    created = [];
    mde.requests.length = 0;
  });

  afterAll(async () => {
    await parts.queues.close();
    await mde.close();
    redis.disconnect();
    await dropPrefix(prefix);
  });

  /** Per host name the Defender fake was asked for, the earliest time any request read it from. */
  const readFromByHost = (): Map<string, number> => {
    const from = new Map<string, number>();
    for (const { query } of mde.requests) {
      if (query?.kind !== 'rows') continue;
      for (const name of [...query.hosts.shortNames, ...query.hosts.deviceNames]) {
        from.set(name.toLowerCase(), Math.min(from.get(name.toLowerCase()) ?? Infinity, Date.parse(query.from)));
      }
    }
    return from;
  };

  it('reads each batch from its own hosts\' cursors: a watch blocked an hour ago does not widen the others\' reads', async () => {
    const freshAt = NOW - MINUTE;
    const staleAt = NOW - 60 * MINUTE;
    await create(watchOf('w-fresh-1', { blockedAt: freshAt, source: MDE, hosts: [host('fresh-01', '10.20.2.1'), host('fresh-02', '10.20.2.2')] }));
    await create(watchOf('w-stale', { blockedAt: staleAt, source: MDE, hosts: [host('stale-01', '10.20.3.1'), host('stale-02', '10.20.3.2')] }));
    await create(watchOf('w-fresh-2', { blockedAt: freshAt, source: MDE, hosts: [host('fresh-03', '10.20.2.3'), host('fresh-04', '10.20.2.4')] }));
    const poller = new SourcePoller(pollerDepsOf(parts));

    expect(await poller.poll(MDE, { now: NOW })).toBe('polled');
    expect(Object.fromEntries(readFromByHost())).toEqual({
      'fresh-01': freshAt,
      'fresh-02': freshAt,
      'fresh-03': freshAt,
      'fresh-04': freshAt,
      'stale-01': staleAt,
      'stale-02': staleAt,
    });
    expect(mde.requests.filter(({ query }) => query?.kind === 'rows')).toHaveLength(3);
  });

  it('a watch whose batch failed re-reads from its kept cursor alone, the others from theirs', async () => {
    const blockedAt = NOW - 10 * MINUTE;
    await create(watchOf('w-ok', { blockedAt, source: MDE, hosts: [host('ok-01', '10.20.4.1'), host('ok-02', '10.20.4.2')] }));
    await create(watchOf('w-failed', { blockedAt, source: MDE, hosts: [host('failed-01', '10.20.5.1'), host('failed-02', '10.20.5.2')] }));
    const poller = new SourcePoller(pollerDepsOf(parts));
    const firstPoll = NOW - 5 * MINUTE;
    expect(await poller.poll(MDE, { now: firstPoll, onlyWatchIds: ['w-ok'] })).toBe('polled');
    mde.failNext({ status: 503 });
    expect(await poller.poll(MDE, { now: firstPoll, onlyWatchIds: ['w-failed'] })).toBe('failed');
    mde.requests.length = 0;

    expect(await poller.poll(MDE, { now: NOW })).toBe('polled');
    const lookbackMs = parts.connectors.get(MDE)!.lookbackMs;
    expect(Object.fromEntries(readFromByHost())).toEqual({
      'ok-01': firstPoll - lookbackMs,
      'ok-02': firstPoll - lookbackMs,
      'failed-01': blockedAt,
      'failed-02': blockedAt,
    });
  });

  describe('events a watch already recorded', () => {
    const HOST = host('FIN-WS-042', '10.20.1.42');
    const blockedAt = NOW - 30 * MINUTE;
    /** The browser, which the built-in catalog allows, to one site. */
    const browsing = (id: string, minute: number) => ({
      id,
      time: blockedAt + minute * MINUTE,
      device: { hostname: 'fin-ws-042.corp.example' },
      process: { path: 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe' },
      dst_endpoint: { ip: '192.0.2.90', port: 443 },
      protocol: 'tcp',
      outcome: 'success' as const,
    });
    const poll = (poller: SourcePoller, minute: number) => poller.poll(SCRIPTED, { now: blockedAt + minute * MINUTE, onlyWatchIds: ['w-recorded'] });
    const health = async () => (await parts.store.sourceHealthOf('w-recorded', SCRIPTED))!;

    it('are not judged again on a re-read, while the host still counts as heard from; a new indicator has them judged once more', async () => {
      await create(watchOf('w-recorded', { blockedAt, source: SCRIPTED, hosts: [HOST] }));
      for (let minute = 1; minute <= 3; minute += 1) scripted.add(browsing(`c2-${minute}`, minute));
      const poller = new SourcePoller(pollerDepsOf(parts));

      expect(await poll(poller, 4)).toBe('polled');
      expect((await parts.findings.suppressed('w-recorded')).by_rule).toEqual({ 'builtin:browser-chrome': 3 });
      expect(scripted.judged()).toEqual({ 'c2-1': 1, 'c2-2': 1, 'c2-3': 1 });

      // The look-back reads the three again, with one new connection.
      scripted.add(browsing('c2-5', 5));
      expect(await poll(poller, 6)).toBe('polled');
      expect(scripted.judged()).toEqual({ 'c2-1': 1, 'c2-2': 1, 'c2-3': 1, 'c2-5': 1 });
      expect((await parts.findings.suppressed('w-recorded')).by_rule).toEqual({ 'builtin:browser-chrome': 4 });
      const heard = await health();
      expect(heard.events_seen).toBe(4);
      expect(heard.hosts_last_seen).toEqual({ 'FIN-WS-042': iso(blockedAt + 5 * MINUTE) });
      expect(heard.lag_ms).toBe(MINUTE);

      // Nothing new: the re-read alone still tells when the host was last heard from and how far behind the source is.
      expect(await poll(poller, 7)).toBe('polled');
      expect((await health()).lag_ms).toBe(2 * MINUTE);
      expect(scripted.judged()).toEqual({ 'c2-1': 1, 'c2-2': 1, 'c2-3': 1, 'c2-5': 1 });

      // A merged request blocks the site: the recorded connections to it, allowed then, now belong to the retries' beacon
      // history (only the new one is counted in the finding, as every event is counted once).
      await parts.store.update('w-recorded', (watch) => ({ ...watch, blocked: [...watch.blocked, { type: 'ip', value: '192.0.2.90' }] }));
      scripted.add(browsing('c2-8', 8));
      expect(await poll(poller, 9)).toBe('polled');
      expect(scripted.judged()).toEqual({ 'c2-1': 2, 'c2-2': 2, 'c2-3': 2, 'c2-5': 2, 'c2-8': 1 });
      const [retry] = await parts.findings.list('w-recorded');
      expect(retry).toMatchObject({ count: 1, kind: ['blocked_retry'], dst: { ip: '192.0.2.90' } });
      expect(await redis.zcard(parts.keys.beaconHistory('w-recorded', retry!.id))).toBe(5);

      expect(await poll(poller, 10)).toBe('polled');
      expect(scripted.judged()).toEqual({ 'c2-1': 2, 'c2-2': 2, 'c2-3': 2, 'c2-5': 2, 'c2-8': 1 });
    });
  });

  describe('a source that reads by ingestion time', () => {
    const HOST = host('FIN-WS-081', '10.20.1.81');
    const outbound = browsingOf('fin-ws-081.corp.example', '192.0.2.92');

    it('is asked only for what it ingested since the last successful read ended (less its overlap): a late event is still read, once', async () => {
      const blockedAt = NOW - 30 * MINUTE;
      const firstRead = NOW - 5 * MINUTE;
      await create(watchOf('w-ingest', { blockedAt, source: INGESTING, hosts: [HOST] }));
      ingesting.add(outbound('on-time', firstRead - 2 * MINUTE), firstRead - MINUTE);
      // Older than the first read's end, but ingested 30 s after it: that read could not see it.
      ingesting.add(outbound('late', firstRead - MINUTE), firstRead + 30 * SECOND);
      const poller = new SourcePoller(pollerDepsOf(parts));

      ingesting.clock = firstRead;
      expect(await poller.poll(INGESTING, { now: firstRead, onlyWatchIds: ['w-ingest'] })).toBe('polled');
      expect(ingesting.asked.at(-1)?.covered).toBeUndefined();
      expect((await parts.store.sourceHealthOf('w-ingest', INGESTING))?.events_seen).toBe(1);

      ingesting.clock = NOW;
      expect(await poller.poll(INGESTING, { now: NOW, onlyWatchIds: ['w-ingest'] })).toBe('polled');
      expect(ingesting.asked.at(-1)).toMatchObject({
        from: new Date(firstRead - ingesting.lookbackMs),
        covered: { until: new Date(firstRead), ingestedSince: new Date(firstRead - ingesting.ingestionOverlapMs) },
      });
      expect((await parts.store.sourceHealthOf('w-ingest', INGESTING))?.events_seen).toBe(2);

      // A read that failed leaves the cursor where it was: the next read is covered no further than before.
      const failing = vi.spyOn(ingesting, 'fetchConnections').mockRejectedValueOnce(new Error('vendor down'));
      expect(await poller.poll(INGESTING, { now: NOW + MINUTE, onlyWatchIds: ['w-ingest'] })).toBe('failed');
      failing.mockRestore();
      expect(await poller.poll(INGESTING, { now: NOW + 2 * MINUTE, onlyWatchIds: ['w-ingest'] })).toBe('polled');
      expect(ingesting.asked.at(-1)?.covered?.until).toEqual(new Date(NOW));
    });
  });

  describe("a watch's source health", () => {
    const HOST = host('FIN-WS-077', '10.20.1.77');
    const outbound = browsingOf('fin-ws-077.corp.example', '192.0.2.91');
    const health = async () => (await parts.store.sourceHealthOf('w-quiet', SCRIPTED))!;

    it('is not rewritten by scheduled polls that bring nothing new until three poll intervals passed, and always by the final look', async () => {
      const blockedAt = Date.now() - 5 * MINUTE;
      await create(watchOf('w-quiet', { blockedAt, source: SCRIPTED, hosts: [HOST] }));
      scripted.add(outbound('quiet-1', blockedAt + MINUTE));
      const poller = new SourcePoller(pollerDepsOf(parts));

      expect(await poller.pollShard(SCRIPTED, ['w-quiet'])).toBe('polled');
      const first = await health();
      expect(first).toMatchObject({ events_seen: 1, consecutive_failures: 0 });
      // The watch polls every minute: a poll a moment later that reads nothing new leaves the record as it was.
      expect(await poller.pollShard(SCRIPTED, ['w-quiet'])).toBe('polled');
      expect(await health()).toEqual(first);

      // A new event is written at once, with the progress.
      scripted.add(outbound('quiet-2', Date.now() - SECOND));
      expect(await poller.pollShard(SCRIPTED, ['w-quiet'])).toBe('polled');
      const second = await health();
      expect(second.events_seen).toBe(2);
      expect(Date.parse(second.polled_until!)).toBeGreaterThan(Date.parse(first.polled_until!));

      // The close's final look records how far it read, however little changed.
      const closeAt = Date.parse(second.polled_until!) + SECOND;
      expect(await poller.poll(SCRIPTED, { onlyWatchIds: ['w-quiet'], now: closeAt })).toBe('polled');
      expect(await health()).toMatchObject({ events_seen: 2, polled_until: iso(closeAt), last_success_at: iso(closeAt) });
    });

    it('is rewritten by a poll that brings nothing new once its record is three poll intervals old', async () => {
      const blockedAt = Date.now() - 5 * MINUTE;
      await create(watchOf('w-quiet', { blockedAt, source: SCRIPTED, hosts: [HOST] }));
      const poller = new SourcePoller({ ...pollerDepsOf(parts), healthRefreshPolls: 0 });
      expect(await poller.pollShard(SCRIPTED, ['w-quiet'])).toBe('polled');
      const first = await health();
      await waitFor(async () => Date.now() > Date.parse(first.last_success_at!), { what: 'the clock to move past the first poll' });
      expect(await poller.pollShard(SCRIPTED, ['w-quiet'])).toBe('polled');
      expect(Date.parse((await health()).last_success_at!)).toBeGreaterThan(Date.parse(first.last_success_at!));
    });
  });

  describe('the compiled detectors a worker keeps', () => {
    /** The store, counting baseline reads: a detector is compiled from its watch's baseline, a cached one is not. */
    const countingStore = (reads: string[]): WatchStore =>
      Object.assign(Object.create(parts.store) as WatchStore, {
        baseline: (id: string) => {
          reads.push(id);
          return parts.store.baseline(id);
        },
      });

    it('are dropped for a watch no tick polls any more, and a watch polled again is compiled again', async () => {
      const blockedAt = NOW - 10 * MINUTE;
      await create(watchOf('w-stays', { blockedAt, source: SCRIPTED, hosts: [host('stays-01', '10.20.6.1')] }));
      await create(watchOf('w-closes', { blockedAt, source: SCRIPTED, hosts: [host('closes-01', '10.20.6.2')] }));
      const reads: string[] = [];
      const poller = new SourcePoller({ ...pollerDepsOf(parts), store: countingStore(reads) });

      expect(await poller.tick(SCRIPTED)).toBe('polled');
      expect(reads.sort()).toEqual(['w-closes', 'w-stays']);
      expect(await poller.tick(SCRIPTED)).toBe('polled');
      expect(reads).toHaveLength(2);

      await setState('w-closes', 'closed');
      expect(await poller.tick(SCRIPTED)).toBe('polled');
      await setState('w-closes', 'watching');
      expect(await poller.tick(SCRIPTED)).toBe('polled');
      expect(reads.slice(2)).toEqual(['w-closes']);
    });

    it('are at most the configured number, the least recently used compiled again when needed', async () => {
      const blockedAt = NOW - 10 * MINUTE;
      const watches = ['w-lru-1', 'w-lru-2', 'w-lru-3'].map((id, index) => watchOf(id, { blockedAt, source: SCRIPTED, hosts: [host(`lru-0${index}`, `10.20.7.${index}`)] }));
      const reads: string[] = [];
      const cache = new DetectorCache({ ...pollerDepsOf(parts), store: countingStore(reads), maxDetectors: 2 });
      const [first, second, third] = watches as [Watch, Watch, Watch];

      await cache.for(first);
      await cache.for(second);
      await cache.for(first);
      await cache.for(third);
      expect(cache.size).toBe(2);
      await cache.for(first);
      expect(reads).toEqual(['w-lru-1', 'w-lru-2', 'w-lru-3']);
      await cache.for(second);
      expect(reads.at(-1)).toBe('w-lru-2');
      expect(cache.size).toBe(2);
    });
  });
});
