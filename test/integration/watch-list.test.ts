import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import axios from 'axios';
import { Redis } from 'ioredis';
import { WatchSchema, type Watch, type WatchedHost } from '../../src/contracts/watch.js';
import { redisKeys } from '../../src/lib/keys.js';
import { silentLogger } from '../../src/lib/logger.js';
import { startApi, type ApiService } from '../../src/runtime/services.js';
import { WatchLister } from '../../src/stores/watch-list.js';
import { WatchStore } from '../../src/stores/watch-store.js';
import { mdeSourceYaml, TEST_TOKEN, testConfig } from '../helpers/config.js';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const COUNT = 450;
const BASE = Date.parse('2026-03-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** Host k of 40, given as the SOAR might: name, IP and EDR id; an FQDN only; an IP only. */
function hostOf(i: number): WatchedHost {
  const k = i % 40;
  if (i % 3 === 0) return { hostname: `WS-${k}`, ip: `10.1.0.${k}`, edr_id: `edr-${k}`, baseline: 'ready' };
  if (i % 3 === 1) return { hostname: `ws-${k}.corp.example`, baseline: 'ready' };
  return { ip: `10.1.0.${k}`, baseline: 'ready' };
}

/** Three watches share each creation millisecond, so ties are ordered by id. */
function watchOf(i: number, created = BASE + Math.floor(i / 3)): Watch {
  return WatchSchema.parse({
    id: `w-${String(i).padStart(4, '0')}`,
    incident_id: `INC-${i % 30}`,
    blocked: [{ type: 'ip', value: '203.0.113.7' }],
    blocked_at: iso(created),
    hosts: [hostOf(i)],
    sources: ['mde'],
    duration_ms: 86_400_000,
    poll_interval_ms: 60_000,
    baseline_ms: 86_400_000,
    state: i % 4 === 0 ? 'closed' : 'watching',
    ...(i % 4 === 0 ? { verdict: 'held', closed_at: iso(created + 1000) } : {}),
    opened_by: 'test',
    created_at: iso(created),
    updated_at: iso(created),
    expires_at: iso(created + 86_400_000),
    action_ids: [],
    audit: [],
  });
}

/** Newest first, then by id, as the API lists them. */
const newestFirst = (a: Watch, b: Watch) => Date.parse(b.created_at) - Date.parse(a.created_at) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

interface Page {
  watches: { id: string; state: string; incident_id: string; created_at: string }[];
  next_cursor: string | null;
}

describe('GET /v1/watches pages through every watch with a cursor', () => {
  const prefix = uniquePrefix('watch-list');
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  const store = new WatchStore(redis, redisKeys(prefix));
  const watches = Array.from({ length: COUNT }, (_, i) => watchOf(i));
  let api: ApiService;

  const get = (query: Record<string, string | number>) =>
    axios.get<Page>(`${api.url}/v1/watches`, {
      params: query,
      headers: { Authorization: `Bearer ${TEST_TOKEN}` },
      validateStatus: () => true,
    });

  /** Follows next_cursor to the end; `between` runs after each page. */
  async function walk(query: Record<string, string | number>, between?: (page: number) => Promise<void>): Promise<{ ids: string[]; pages: number[] }> {
    const ids: string[] = [];
    const pages: number[] = [];
    let cursor: string | null = null;
    do {
      const response = await get({ ...query, ...(cursor === null ? {} : { cursor }) });
      expect(response.status).toBe(200);
      ids.push(...response.data.watches.map((watch) => watch.id));
      pages.push(response.data.watches.length);
      cursor = response.data.next_cursor;
      if (pages.length > COUNT) throw new Error('the walk does not end');
      await between?.(pages.length);
    } while (cursor !== null);
    return { ids, pages };
  }

  beforeAll(async () => {
    api = await startApi(testConfig({ prefix, yaml: `sources:\n${mdeSourceYaml('http://127.0.0.1:9')}` }), silentLogger());
    for (let i = 0; i < COUNT; i += 50) await Promise.all(watches.slice(i, i + 50).map((watch) => store.create(watch)));
  });

  afterAll(async () => {
    await api.close();
    redis.disconnect();
    await dropPrefix(prefix);
  });

  it('state=all, limit 100: every watch exactly once, newest first, in pages of 100, then next_cursor null', async () => {
    const { ids, pages } = await walk({ state: 'all', limit: 100 });
    expect(pages).toEqual([100, 100, 100, 100, 50]);
    expect(ids).toEqual([...watches].sort(newestFirst).map((watch) => watch.id));
  });

  it('the default limit is 100, and a last page that is exactly full says next_cursor null', async () => {
    const first = await get({ state: 'all' });
    expect(first.data.watches).toHaveLength(100);
    const incident = await get({ state: 'all', incident: 'INC-3', limit: 15 });
    expect(incident.data.watches).toHaveLength(15);
    expect(incident.data.next_cursor).toBeNull();
  });

  it('state=active and state=closed split the watches, each complete', async () => {
    const active = await walk({ state: 'active', limit: 100 });
    const closed = await walk({ limit: 37, state: 'closed' });
    const byState = (closedState: boolean) =>
      watches
        .filter((watch) => (watch.state === 'closed') === closedState)
        .sort(newestFirst)
        .map((watch) => watch.id);
    expect(active.ids).toEqual(byState(false));
    expect(closed.ids).toEqual(byState(true));
    expect((await walk({ limit: 100 })).ids).toEqual(byState(false));
  });

  it('incident= lists every watch of that incident, active or closed, and combines with state', async () => {
    const of = (incident: string) => watches.filter((watch) => watch.incident_id === incident).sort(newestFirst);
    expect((await walk({ state: 'all', incident: 'INC-7', limit: 4 })).ids).toEqual(of('INC-7').map((watch) => watch.id));
    expect((await walk({ state: 'closed', incident: 'INC-8', limit: 4 })).ids).toEqual(
      of('INC-8')
        .filter((watch) => watch.state === 'closed')
        .map((watch) => watch.id),
    );
    expect((await walk({ state: 'all', incident: 'INC-404' })).ids).toEqual([]);
  });

  it.each([
    ['its short name, any case', 'ws-7', (i: number) => i % 3 !== 2],
    ['its FQDN', 'WS-7.corp.example', (i: number) => i % 3 !== 2],
    ['its IP', '10.1.0.7', (i: number) => i % 3 !== 1],
    ['its EDR id', 'EDR-7', (i: number) => i % 3 === 0],
  ])('host= finds the watches of a host by %s', async (_story, host, given) => {
    const expected = watches
      .map((watch, i) => ({ watch, i }))
      .filter(({ i }) => i % 40 === 7 && given(i))
      .map(({ watch }) => watch)
      .sort(newestFirst)
      .map((watch) => watch.id);
    expect(expected.length).toBeGreaterThan(2);
    expect((await walk({ state: 'all', host, limit: 3 })).ids).toEqual(expected);
  });

  it('host= never mixes two hosts: another FQDN with the same short name, or a longer name, is not the host', async () => {
    // As telemetry is matched: the short name WS-7 may be ws-7.other.example; ws-7.corp.example is not.
    const shortNamed = watches
      .filter((watch) => watch.hosts[0]!.hostname === 'WS-7')
      .sort(newestFirst)
      .map((watch) => watch.id);
    expect((await walk({ state: 'all', host: 'ws-7.other.example' })).ids).toEqual(shortNamed);
    const ws17 = (await walk({ state: 'all', host: 'ws-17' })).ids;
    expect(ws17.length).toBeGreaterThan(0);
    expect(ws17.every((id) => Number(id.slice(2)) % 40 === 17)).toBe(true);
  });

  it('a host merged into a watch is found by host=', async () => {
    await store.update('w-0001', (watch) => ({ ...watch, hosts: [...watch.hosts, { hostname: 'MERGED-HOST', baseline: 'pending' }] }));
    expect((await walk({ state: 'all', host: 'merged-host' })).ids).toEqual(['w-0001']);
  });

  it('the store counts every active watch and finds an incident\'s newest watch, for /containment list and status', async () => {
    expect(await store.countActive()).toBe(watches.filter((watch) => watch.state !== 'closed').length);
    const newest = watches.filter((watch) => watch.incident_id === 'INC-8').sort(newestFirst)[0]!;
    expect((await store.latestWatchOfIncident('INC-8'))?.id).toBe(newest.id);
    expect(await store.latestWatchOfIncident('INC-404')).toBeUndefined();
  });

  it('watches opened while a client walks make no other watch be skipped or listed twice', async () => {
    const added: Watch[] = [];
    const { ids } = await walk({ state: 'all', limit: 100 }, async (page) => {
      if (page > 2) return;
      // One newer than everything (before the cursor), one in the part not walked yet, one tied with a listed watch.
      const batch = [watchOf(10_000 + page, Date.now()), watchOf(20_000 + page, BASE + 5), watchOf(30_000 + page, BASE + 140)];
      for (const watch of batch) await store.create(watch);
      added.push(...batch);
    });
    expect(new Set(ids).size).toBe(ids.length);
    const originals = new Set(watches.map((watch) => watch.id));
    expect(ids.filter((id) => originals.has(id))).toEqual([...watches].sort(newestFirst).map((watch) => watch.id));
    // The ones opened in the part still ahead of the cursor are listed, in their place.
    expect(ids).toContain('w-20001');
    expect(ids).toContain('w-20002');
    expect(ids).not.toContain('w-10001');
  });

  it.each([
    ['limit 0', { limit: 0 }, 'query.limit'],
    ['limit 501', { limit: 501 }, 'query.limit'],
    ['limit not a number', { limit: 'ten' }, 'query.limit'],
    ['limit not an integer', { limit: '1.5' }, 'query.limit'],
    ['a cursor that is not base64url', { cursor: 'not a cursor!' }, 'query.cursor'],
    ['a cursor of something else', { cursor: Buffer.from('{"offset":100}').toString('base64url') }, 'query.cursor'],
    ['an unknown state', { state: 'open' }, 'query.state'],
    ['an empty host', { host: '' }, 'query.host'],
    ['an unknown parameter', { page: 2 }, 'query.page'],
  ])('%s → 400 naming the field', async (_story, query, field) => {
    const response = await get(query);
    expect(response.status).toBe(400);
    expect(response.data).toMatchObject({ error: 'invalid_request', code: 'request.invalid' });
    expect((response.data as unknown as { issues: { path: string }[] }).issues.map((issue) => issue.path)).toContain(field);
  });

  it('the OpenAPI document shows the parameters and next_cursor', async () => {
    const document = (await axios.get<{ paths: Record<string, { get: { parameters: { name: string }[]; responses: Record<string, unknown> } }> }>(`${api.url}/openapi.json`)).data;
    const list = document.paths['/v1/watches']!.get;
    expect(list.parameters.map((parameter) => parameter.name)).toEqual(['state', 'incident', 'host', 'limit', 'cursor']);
    expect(JSON.stringify(list.responses['200'])).toContain('next_cursor');
  });
});

describe('the incident and host indexes are built for watches stored before they existed', () => {
  const prefix = uniquePrefix('watch-list-legacy');
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  const keys = redisKeys(prefix);

  afterAll(async () => {
    redis.disconnect();
    await dropPrefix(prefix);
  });

  it('lists them by incident and host after a one-time backfill', async () => {
    // As the earlier version stored a watch: its record and the creation index only.
    const legacy = Array.from({ length: 7 }, (_, i) => watchOf(i));
    for (const watch of legacy) await redis.multi().set(keys.watch(watch.id), JSON.stringify(watch)).zadd(keys.allWatches, Date.parse(watch.created_at), watch.id).exec();
    const lister = new WatchLister(redis, keys);
    const page = await lister.page({ state: 'all', incident: 'INC-3', limit: 10 });
    expect(page.watches.map((watch) => watch.id)).toEqual(['w-0003']);
    expect(page.next).toBeUndefined();
    expect((await lister.page({ state: 'all', host: '10.1.0.2', limit: 10 })).watches.map((watch) => watch.id)).toEqual(['w-0002']);
    expect(await redis.get(keys.watchListIndexes)).toBe('1');
  });
});
