import { PassThrough } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BaselineEntry, ConnectionEvent } from '../../src/contracts/connection-event.js';
import type { Finding } from '../../src/contracts/finding.js';
import { WatchSchema, type WatchedHost } from '../../src/contracts/watch.js';
import { buildBaseline } from '../../src/detect/baseline.js';
import { InMemoryBeaconHistory, type BeaconSample } from '../../src/detect/beacon-history.js';
import { beaconSampleOf } from '../../src/detect/beacon-tracker.js';
import { eventDigest } from '../../src/lib/event-digest.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { createWorkerParts, pollerDepsOf } from '../../src/runtime/build.js';
import type { WorkerParts } from '../../src/runtime/worker-parts.js';
import type { SourceConnector, TimeRangeQuery } from '../../src/sources/types.js';
import { RedisBeaconHistory } from '../../src/stores/redis-beacon-history.js';
import { SourcePoller } from '../../src/watch/source-poller.js';
import { mdeSourceYaml, testConfig } from '../helpers/config.js';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;
const SOURCE = 'mde-prod';
const POLLS = 12;
/** Half an hour ago, on a whole minute: the polls below replay the half hour since, one minute at a time. */
const BLOCKED_AT = Math.floor(Date.now() / MINUTE) * MINUTE - 30 * MINUTE;
const HOST: WatchedHost = { hostname: 'FIN-WS-042', ip: '10.20.1.42', baseline: 'ready' };
const RUNDLL32 = 'C:\\Windows\\System32\\rundll32.exe';
const UPDATER = 'C:\\Program Files\\Vendor\\updater.exe';
const SVCHOST = 'C:\\Windows\\System32\\svchost.exe';
const CHROME = 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe';

/** A source whose telemetry is a fixed script, answered by time range like a vendor API. */
class ScriptedSource implements SourceConnector {
  readonly id = SOURCE;
  readonly type = 'scripted';
  readonly maxHostsPerQuery = 100;
  readonly lookbackMs = 2 * MINUTE;
  constructor(private readonly events: readonly ConnectionEvent[]) {}
  async fetchConnections(query: TimeRangeQuery): Promise<ConnectionEvent[]> {
    return this.events.filter((event) => event.time >= query.from.getTime() && event.time < query.to.getTime());
  }
  async fetchBaseline(): Promise<BaselineEntry[]> {
    return [];
  }
  async close(): Promise<void> {}
}

/** One tuple's connections: every `periodMs`, nudged by a fixed pattern of a few percent. */
function every(name: string, periodMs: number, until: number, fields: Pick<ConnectionEvent, 'process' | 'dst_endpoint' | 'outcome'>): ConnectionEvent[] {
  const nudges = [0, 0.02, -0.015, 0.03, -0.02, 0.01];
  const events: ConnectionEvent[] = [];
  for (let index = 0, time = BLOCKED_AT + 20 * SECOND; time < until; index += 1) {
    events.push({ id: `${name}-${index}`, source: SOURCE, time, device: { hostname: 'fin-ws-042.corp.example' }, protocol: 'tcp', direction: 'outbound', ...fields });
    time += Math.round(periodMs * (1 + (nudges[index % nudges.length] as number)));
  }
  return events;
}

const END = BLOCKED_AT + POLLS * MINUTE;
const SCRIPT = {
  rundll32: every('rundll32', MINUTE, END, { process: { path: RUNDLL32, cmd_line: 'rundll32.exe' }, dst_endpoint: { ip: '192.0.2.44', port: 8443 }, outcome: 'success' }),
  updater: every('updater', MINUTE, END, { process: { path: UPDATER }, dst_endpoint: { ip: '192.0.2.80', port: 443 }, outcome: 'success' }),
  retries: every('retry', 5 * SECOND, END, { process: { path: RUNDLL32 }, dst_endpoint: { ip: '203.0.113.7', port: 443 }, outcome: 'blocked' }),
  rpc: every('rpc', MINUTE, END, { process: { path: SVCHOST }, dst_endpoint: { ip: '10.20.0.5', port: 135 }, outcome: 'success' }),
  chrome: every('chrome', MINUTE, END, { process: { path: CHROME }, dst_endpoint: { ip: '192.0.2.90', port: 443 }, outcome: 'success' }),
};

describe('beaconing on the live path: poller, Redis histories and the finding store', () => {
  const prefix = uniquePrefix('beaconing');
  const redis = new Redis(TEST_REDIS_URL);
  let parts: WorkerParts;
  const watchId = 'w-beaconing';

  const poll = (minutes: number, poller = new SourcePoller(pollerDepsOf(parts))) => poller.poll(SOURCE, { onlyWatchIds: [watchId], now: BLOCKED_AT + minutes * MINUTE });
  const findings = async (): Promise<Finding[]> => parts.findings.list(watchId);
  const byProcess = (all: Finding[], path: string, ip: string) => all.find((finding) => finding.process.path === path && finding.dst.ip === ip);
  const historyKey = (finding: Finding) => parts.keys.beaconHistory(watchId, finding.id);
  /** Everything the beacon path wrote: findings with their versions, histories and counts. */
  const state = async () => {
    const all = await findings();
    const versions = await Promise.all(all.map(async (finding) => (await parts.findings.get(watchId, finding.id))?.version));
    const histories = await Promise.all(all.map((finding) => redis.zrange(historyKey(finding), '0', '-1', 'WITHSCORES')));
    return { all, versions, histories, counts: await redis.hgetall(parts.keys.beaconCounts(watchId)) };
  };

  beforeAll(async () => {
    const config = testConfig({
      prefix,
      yaml: `sources:\n${mdeSourceYaml('http://127.0.0.1:9')}networks:\n  internal: [10.20.0.0/16]\n  resolvers: [10.20.0.10]\n`,
    });
    const built = createWorkerParts({ config, redis, logger: silentLogger(), metrics: createMetrics(), reporterOut: new PassThrough() });
    parts = { ...built, connectors: new Map([[SOURCE, new ScriptedSource(Object.values(SCRIPT).flat())]]) };
    const rows: BaselineEntry[] = [
      { host: 'FIN-WS-042', process_path: SVCHOST, dst_ip: '10.20.0.5', dst_port: 135, protocol: 'tcp', count: 50, first_seen: BLOCKED_AT - 6 * DAY, last_seen: BLOCKED_AT - DAY },
      { host: 'FIN-WS-042', process_path: UPDATER, dst_ip: '198.18.0.10', dst_hostname: 'updates.vendor.example', dst_port: 443, protocol: 'tcp', count: 50, first_seen: BLOCKED_AT - 6 * DAY, last_seen: BLOCKED_AT - DAY },
    ];
    const blocked = [{ type: 'ip' as const, value: '203.0.113.7' }];
    const iso = (ms: number) => new Date(ms).toISOString();
    await parts.store.create(
      WatchSchema.parse({
        id: watchId,
        incident_id: 'INC-BEACON',
        blocked,
        blocked_at: iso(BLOCKED_AT),
        hosts: [HOST],
        sources: [SOURCE],
        duration_ms: DAY,
        poll_interval_ms: MINUTE,
        baseline_ms: 7 * DAY,
        state: 'watching',
        baseline_taken_at: iso(BLOCKED_AT),
        opened_by: 'test',
        created_at: iso(BLOCKED_AT),
        updated_at: iso(BLOCKED_AT),
        expires_at: iso(BLOCKED_AT + DAY),
        action_ids: [],
        audit: [],
      }),
    );
    const snapshot = buildBaseline(rows, [HOST], parts.detection, { blocked, window: { from: BLOCKED_AT - 7 * DAY, to: BLOCKED_AT } });
    await parts.store.saveBaseline(watchId, snapshot);
    const poller = new SourcePoller(pollerDepsOf(parts));
    for (let minute = 1; minute <= POLLS; minute += 1) expect(await poll(minute, poller)).toBe('polled');
  });

  afterAll(async () => {
    await parts.queues.close();
    redis.disconnect();
    await dropPrefix(prefix);
  });

  it('adds beaconing, with how often, to the rundll32 fallback finding, which stays the one finding for that tuple', async () => {
    const all = await findings();
    const fallback = all.filter((finding) => finding.dst.ip === '192.0.2.44');
    expect(fallback).toHaveLength(1);
    expect(fallback[0]).toMatchObject({ severity: 'high', count: SCRIPT.rundll32.length });
    expect(fallback[0]!.kind).toEqual(['quiet_process', 'uncommon_port', 'new_destination', 'beaconing']);
    expect(fallback[0]!.reasons.at(-1)).toMatch(/^connects to 192\.0\.2\.44:8443 every 60 s ± \d+(\.\d)? s \(\d+ times\)$/);
  });

  it('turns a known updater polling a new bare IP, below min_score per event, into a low beaconing finding, never more', async () => {
    const updater = byProcess(await findings(), UPDATER, '192.0.2.80');
    expect(updater).toMatchObject({ kind: ['new_destination', 'beaconing'], severity: 'low' });
    // Only the connections judged once the rhythm was clear count; the reason tells the whole story.
    expect(updater!.count).toBeLessThan(SCRIPT.updater.length);
    expect(Date.parse(updater!.first_seen)).toBeGreaterThan(SCRIPT.updater[0]!.time);
    expect(updater!.reasons.at(-1)).toMatch(new RegExp(`\\(${SCRIPT.updater.length} times\\)$`));
  });

  it('tells how often the implant retries the blocked IP, keeping its history bounded while counting every retry', async () => {
    const retry = (await findings()).find((finding) => finding.kind.includes('blocked_retry'));
    expect(retry?.kind).toEqual(['blocked_retry', 'beaconing']);
    expect(retry?.reasons.at(-1)).toMatch(/^retries 203\.0\.113\.7:443 every 5 s ± /);
    expect(await redis.zcard(historyKey(retry!))).toBe(100);
    expect(Number(await redis.hget(parts.keys.beaconCounts(watchId), retry!.id))).toBe(SCRIPT.retries.length);
    // A day after the watch's end (itself a day after the block), whenever the test runs.
    expect(Number(await redis.call('PEXPIRETIME', historyKey(retry!)))).toBe(BLOCKED_AT + 2 * DAY);
  });

  it('leaves the baseline heartbeat normal and the allow-listed browser suppressed, however regular they are', async () => {
    const all = await findings();
    expect(all).toHaveLength(3);
    expect(byProcess(all, SVCHOST, '10.20.0.5')).toBeUndefined();
    expect((await parts.findings.suppressed(watchId)).by_rule).toEqual({ 'builtin:browser-chrome': SCRIPT.chrome.length });
  });

  it('a repeated poll, by this worker or a fresh one, changes no finding, history or count', async () => {
    const before = await state();
    expect(await poll(POLLS)).toBe('polled');
    expect(await state()).toEqual(before);
    expect(await poll(POLLS, new SourcePoller(pollerDepsOf(parts)))).toBe('polled');
    expect(await state()).toEqual(before);
  });

  it('recording the whole window again leaves every history and count as it was', async () => {
    const retry = (await findings()).find((finding) => finding.kind.includes('blocked_retry'))!;
    const history = new RedisBeaconHistory(redis, parts.keys, watchId, { expireAtMs: BLOCKED_AT + 2 * DAY });
    const before = await redis.zrange(historyKey(retry), '0', '-1', 'WITHSCORES');
    const track = (await history.record(new Map([[retry.id, SCRIPT.retries.map(beaconSampleOf)]]))).get(retry.id);
    expect(track?.total).toBe(SCRIPT.retries.length);
    expect(track?.samples.map((sample) => sample.id)).toEqual(SCRIPT.retries.slice(-100).map((event) => eventDigest(event.id)));
    expect(await redis.zrange(historyKey(retry), '0', '-1', 'WITHSCORES')).toEqual(before);
  });

  it('the Redis history and the in-memory one a backtest uses agree, call for call', async () => {
    const options = { limit: 5 };
    const inRedis = new RedisBeaconHistory(redis, parts.keys, 'w-agree', { ...options, expireAtMs: Date.now() + DAY });
    const inMemory = new InMemoryBeaconHistory(options);
    const sample = (index: number, bytes?: number): BeaconSample => ({ id: `ev|${index}`, time: BLOCKED_AT + index * 7 * SECOND, bytes });
    const calls: Array<Map<string, BeaconSample[]>> = [
      new Map([['a', [sample(0, 120), sample(1), sample(2, 0)]]]),
      new Map([['a', [sample(2, 0), sample(3, 99), sample(4), sample(5), sample(6, 1_400)]], ['b', [sample(1)]]]),
      new Map([['a', [sample(0, 120), sample(1)]], ['b', [sample(1), sample(9)]]]),
      new Map([['a', [sample(8), sample(7, 5)]]]),
    ];
    for (const call of calls) expect(await inRedis.record(call)).toEqual(await inMemory.record(call));
    // Samples of one time are ordered by digest in both, so both drop the same ones at the limit.
    const tied = (id: string): BeaconSample => ({ id, time: BLOCKED_AT + 60 * SECOND, bytes: id.length });
    const ties = new Map([['c', ['ev|1', 'ev|10', 'ev|2', 'ev|1|0', 'ev|3', 'ev|4', 'ev|5'].map(tied)]]);
    const kept = await inRedis.record(ties);
    expect(kept).toEqual(await inMemory.record(ties));
    expect(kept.get('c')?.samples).toHaveLength(options.limit);
    const members = await redis.zrange(parts.keys.beaconHistory('w-agree', 'c'), '0', '-1');
    expect(members).toEqual(kept.get('c')?.samples.map((sample) => `${sample.id}|${sample.bytes}`));
    expect(members.every((member) => /^[\w-]{11}\|\d+$/.test(member))).toBe(true);
  });

  it('reads histories kept with full event ids before digests, and does not count their events again', async () => {
    const key = parts.keys.beaconHistory('w-legacy', 't');
    const counts = parts.keys.beaconCounts('w-legacy');
    const sample = (index: number): BeaconSample => ({ id: `dev-1|report-${index}|2026`, time: BLOCKED_AT + index * MINUTE, bytes: 300 + index });
    const old = [sample(0), sample(1), sample(2)];
    // As the version before digests wrote them.
    await redis.zadd(key, ...old.flatMap((kept) => [kept.time, `${kept.id}|${kept.bytes}`]));
    await redis.hset(counts, 't', old.length);
    const history = new RedisBeaconHistory(redis, parts.keys, 'w-legacy', { expireAtMs: Date.now() + DAY });
    const track = (await history.record(new Map([['t', [...old, sample(3)]]]))).get('t');
    expect(track).toEqual({ total: 4, samples: [...old, { ...sample(3), id: eventDigest(sample(3).id) }] });
    expect(await redis.zcard(key)).toBe(4);
  });
});
