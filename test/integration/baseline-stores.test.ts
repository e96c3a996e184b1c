import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canReuse, HostBaselineCache, rowsWithin, type CachedHostBaseline } from '../../src/stores/host-baseline-cache.js';
import { estatePrevalence } from '../../src/baseline/estate-prevalence.js';
import { PrevalenceStore } from '../../src/stores/prevalence-store.js';
import { readHostRows } from '../../src/baseline/host-rows.js';
import { createBaselineServices } from '../../src/baseline/services.js';
import { baselinePolicyOf } from '../../src/baseline/settings.js';
import { silentLogger } from '../../src/lib/logger.js';
import { SourceError } from '../../src/sources/source-error.js';
import { sourceFingerprint } from '../../src/sources/source-fingerprint.js';
import type { PrevalenceQuery, SourceConnector } from '../../src/sources/types.js';
import type { PrevalenceSnapshot } from '../../src/contracts/prevalence.js';
import { redisKeys } from '../../src/lib/keys.js';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const BLOCK = Date.parse('2026-11-29T08:00:00Z');

describe('whether a cached host baseline can stand for a new watch', () => {
  const cached = { from: BLOCK - 7 * DAY, to: BLOCK };
  const wanted = (hoursLater: number, days = 7) => ({ from: BLOCK + hoursLater * HOUR - days * DAY, to: BLOCK + hoursLater * HOUR });

  it('serves a block up to reuse_for after the cached window, for a window no longer than it', () => {
    expect(canReuse(cached, wanted(0), DAY)).toBe(true);
    expect(canReuse(cached, wanted(20), DAY)).toBe(true);
    expect(canReuse(cached, wanted(1, 3), DAY)).toBe(true);
    expect(canReuse(cached, wanted(25), DAY)).toBe(false);
    expect(canReuse(cached, wanted(1, 14), DAY)).toBe(false);
  });

  it('never serves an earlier block: the cached window would reach past it', () => {
    expect(canReuse(cached, wanted(-1), DAY)).toBe(false);
  });

  it('hands over only the rows that overlap the wanted window', () => {
    const row = (lastSeen: number) => ({ host: 'h', protocol: 'tcp', count: 1, first_seen: lastSeen - HOUR, last_seen: lastSeen });
    const baseline: CachedHostBaseline = {
      version: 2,
      source: 'mde',
      source_config: 'c0ffee',
      host: 'h',
      ...cached,
      taken_at: new Date(BLOCK).toISOString(),
      entries: [row(BLOCK - 6 * DAY), row(BLOCK - HOUR)],
    };
    expect(rowsWithin(baseline, wanted(2, 1))).toEqual([row(BLOCK - HOUR)]);
  });
});

describe('baseline stores in Redis', () => {
  const prefix = uniquePrefix('baseline-stores');
  const keys = redisKeys(prefix);
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    redis.disconnect();
    await dropPrefix(prefix);
  });

  it('keeps a host baseline, compressed, until it can no longer be reused, and never replaces a newer one', async () => {
    const cache = new HostBaselineCache(redis, keys);
    const now = Date.now();
    const entries = Array.from({ length: 500 }, (_, index) => ({
      host: 'FIN-WS-042',
      process_path: 'C:\\Windows\\System32\\svchost.exe',
      dst_ip: `10.20.0.${index % 250}`,
      dst_port: 443,
      protocol: 'tcp',
      count: index + 1,
      first_seen: now - DAY,
      last_seen: now - HOUR,
    }));
    const baseline: CachedHostBaseline = { version: 2, source: 'mde', source_config: 'c0ffee', host: 'fin-ws-042||', from: now - 7 * DAY, to: now, taken_at: new Date(now).toISOString(), entries };
    const savingFrom = Date.now();
    await cache.save(baseline, DAY);
    const savingTook = Date.now() - savingFrom;
    expect(await cache.get('mde', 'fin-ws-042||')).toEqual(baseline);
    const key = keys.hostBaseline('mde', 'fin-ws-042||');
    expect(await redis.strlen(key)).toBeLessThan(JSON.stringify(baseline).length / 5);
    // Reusable for a day after the end of its window: set as a TTL, so late by at most the time the save took.
    const lateBy = Number(await redis.call('PEXPIRETIME', key)) - (now + DAY);
    expect(lateBy).toBeGreaterThanOrEqual(0);
    expect(lateBy).toBeLessThanOrEqual(savingTook);

    await cache.save({ ...baseline, from: now - 8 * DAY, to: now - HOUR, entries: [] }, DAY);
    expect((await cache.get('mde', 'fin-ws-042||'))?.entries).toHaveLength(500);

    await cache.save({ ...baseline, host: 'expired', to: now - 2 * DAY }, DAY);
    expect(await cache.get('mde', 'expired')).toBeUndefined();
    expect(await cache.get('other-source', 'fin-ws-042||')).toBeUndefined();
  });

  it('serves rows read under the source configuration of the moment only: a changed index is read again, a rotated secret is not', async () => {
    const source = { id: 'elastic-prod', type: 'elastic', base_url: 'https://127.0.0.1:9200', index: 'logs-endpoint.events.network-*', api_key: 'first' };
    let reads = 0;
    const connector = {
      id: source.id,
      maxHostsPerQuery: 100,
      fetchBaseline: () => {
        reads += 1;
        return Promise.resolve([{ host: 'FIN-WS-042', process_path: 'C:\\Windows\\explorer.exe', dst_ip: '10.20.0.5', dst_port: 443, protocol: 'tcp', count: 3, first_seen: Date.now() - DAY, last_seen: Date.now() - HOUR }]);
      },
    } as unknown as SourceConnector;
    const readUnder = (config: Record<string, unknown>) => {
      // One reading of the clock per window: two could differ by a millisecond, making this window longer than the
      // cached one, which is then (rightly) not reused.
      const now = Date.now();
      return readHostRows(
        createBaselineServices(redis, keys, baselinePolicyOf({}), new Map([[source.id, sourceFingerprint(config)]])),
        connector,
        [{ hostname: 'FIN-WS-042', baseline: 'pending' }],
        { from: new Date(now - 7 * DAY), to: new Date(now) },
      );
    };

    expect((await readUnder(source)).reused).toEqual([]);
    expect((await readUnder({ ...source, api_key: 'rotated', timeout: '2m' })).reused.map((entry) => entry.host)).toEqual(['FIN-WS-042']);
    expect(reads).toBe(1);
    const { reused, entries } = await readUnder({ ...source, index: 'logs-endpoint.events.*' });
    expect(reused).toEqual([]);
    expect(entries).toHaveLength(1);
    expect(reads).toBe(2);
  });

  it('an unreadable cached value is a miss, not a crash', async () => {
    await redis.set(keys.hostBaseline('mde', 'garbled'), 'not gzip');
    expect(await new HostBaselineCache(redis, keys).get('mde', 'garbled')).toBeUndefined();
  });

  const snapshot = (to: number, hosts: number): PrevalenceSnapshot => ({
    version: 1,
    source: 'mde',
    from: new Date(to - 7 * DAY).toISOString(),
    to: new Date(to).toISOString(),
    refreshed_at: new Date(to + 60_000).toISOString(),
    host_count: hosts,
    ports: [{ protocol: 'tcp', port: 443, hosts }],
    destinations: [{ destination: 'login.microsoftonline.com', hosts }],
    partial: false,
  });

  it('picks the newest prevalence read that ended before the block, within the allowed age', async () => {
    const store = new PrevalenceStore(redis, keys);
    for (const [to, hosts] of [
      [BLOCK - 3 * DAY, 100],
      [BLOCK - 2 * DAY, 200],
      [BLOCK - DAY, 300],
      [BLOCK - HOUR, 400],
      [BLOCK + HOUR, 500],
    ] as const) {
      await store.save(snapshot(to, hosts));
    }
    expect((await store.list('mde')).map((read) => read.host_count)).toEqual([500, 400, 300, 200]);
    expect((await store.forBlock('mde', BLOCK, 2 * DAY))?.host_count).toBe(400);
    expect((await store.forBlock('mde', BLOCK - 2 * HOUR, 2 * DAY))?.host_count).toBe(300);
    expect(await store.forBlock('mde', BLOCK + 5 * DAY, 2 * DAY)).toBeUndefined();
    expect(await store.status('mde')).toEqual({ last_success_at: snapshot(BLOCK + HOUR, 0).refreshed_at });

    await store.recordFailure('mde', '2026-11-29T09:00:00.000Z', 'mde-prod: HTTP 503');
    expect(await store.status('mde')).toEqual({
      last_success_at: snapshot(BLOCK + HOUR, 0).refreshed_at,
      last_error_at: '2026-11-29T09:00:00.000Z',
      last_error: 'mde-prod: HTTP 503',
    });
  });

  it('fetches and unpacks each stored prevalence read once: later lists of the source fetch only the reads added since', async () => {
    const store = new PrevalenceStore(redis, keys);
    const source = 'elastic-once';
    const read = (to: number, hosts: number) => ({ ...snapshot(to, hosts), source });
    const monitor = await new Redis(TEST_REDIS_URL).monitor();
    const fetched: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() === 'mget' && args.some((arg) => arg.includes(`:source:${source}:`))) fetched.push(args.slice(1));
      if (args[0]?.toLowerCase() === 'get' && args[1] === `{${prefix}}:marker`) fetched.push(['marker']);
    });
    // The monitor's view is in step once it has seen a marker sent after the commands of interest.
    const inStep = async () => {
      const before = fetched.length;
      await redis.get(`{${prefix}}:marker`);
      await waitFor(async () => fetched.slice(before).some(([first]) => first === 'marker'), { what: 'the monitor to catch up' });
      const seen = fetched.filter(([first]) => first !== 'marker');
      fetched.length = 0;
      return seen;
    };
    try {
      await store.save(read(BLOCK - 2 * DAY, 200));
      await store.save(read(BLOCK - DAY, 300));
      await inStep();

      expect((await store.list(source)).map((listed) => listed.host_count)).toEqual([300, 200]);
      expect((await inStep()).map((keysFetched) => keysFetched.length)).toEqual([2]);
      expect((await store.forBlock(source, BLOCK, 3 * DAY))?.host_count).toBe(300);
      expect(await inStep()).toEqual([]);

      await store.save(read(BLOCK - HOUR, 400));
      await inStep();
      expect((await store.list(source)).map((listed) => listed.host_count)).toEqual([400, 300, 200]);
      expect((await inStep()).map((keysFetched) => keysFetched.length)).toEqual([1]);
      expect((await store.forBlock(source, BLOCK, 3 * DAY))?.destinations).toEqual([{ destination: 'login.microsoftonline.com', hosts: 400 }]);
    } finally {
      monitor.disconnect();
    }
  });

  it('a source whose aggregate fails leaves the watch its own prevalence, says why, and records the failure', async () => {
    const services = createBaselineServices(redis, keys, baselinePolicyOf({}), new Map());
    const failing = {
      fetchPrevalence: () => Promise.reject(new SourceError('retryable', 'splunk-prod', 'search job failed (HTTP 503)')),
    } as unknown as SourceConnector;
    const answering = {
      fetchPrevalence: (query: PrevalenceQuery) =>
        Promise.resolve({ host_count: 7, ports: [], destinations: [], partial: query.maxDestinations < 100 }),
    } as unknown as SourceConnector;
    const connectors = new Map([
      ['splunk-prod', failing],
      ['elastic-prod', answering],
    ]);
    const uses = await estatePrevalence({ connectors, baselines: services, detection: { networks: { internal: [] } }, logger: silentLogger() }, ['splunk-prod', 'elastic-prod', 'no-aggregate'], BLOCK, 'w-estate');
    expect(uses.get('splunk-prod')).toEqual({
      use: {
        status: 'unavailable',
        reason: expect.stringMatching(/^estate prevalence unavailable \(splunk-prod: search job failed \(HTTP 503\)\); uncommon ports are judged on the watched hosts alone$/),
      },
    });
    expect(uses.get('elastic-prod')?.use).toMatchObject({ status: 'used', host_count: 7, to: new Date(BLOCK).toISOString(), partial: false });
    expect(uses.has('no-aggregate')).toBe(false);
    expect(await services.prevalence.status('splunk-prod')).toMatchObject({ last_error: 'splunk-prod: search job failed (HTTP 503)' });
    expect((await services.prevalence.forBlock('elastic-prod', BLOCK, DAY))?.host_count).toBe(7);
  });
});
