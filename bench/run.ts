/**
 * npm run bench: throughput figures of the hot paths, each next to a reference measured in the same run, so
 * the ratio means something on a shared, noisy machine. Needs Redis (REDIS_URL, default 127.0.0.1:6379).
 */
import { performance } from 'node:perf_hooks';
import axios from 'axios';
import { Redis } from 'ioredis';
import type { BaselineEntry, ConnectionEvent } from '../src/contracts/connection-event.js';
import type { PrevalenceSnapshot } from '../src/contracts/prevalence.js';
import type { WatchedHost } from '../src/contracts/watch.js';
import { buildBaseline, compileBaseline } from '../src/detect/baseline.js';
import { createDetector } from '../src/detect/detector.js';
import { DetectionSettingsSchema } from '../src/detect/settings.js';
import { redisKeys } from '../src/lib/keys.js';
import { silentLogger } from '../src/lib/logger.js';
import { createScenario } from '../src/dev/scenario/index.js';
import { mdeConnector } from '../src/sources/mde/index.js';
import { startFakeMde } from '../src/sources/mde/dev/fake-mde-server.js';
import { startApi } from '../src/runtime/services.js';
import { FindingStore } from '../src/stores/finding-store.js';
import { testConfig, TEST_TOKEN, mdeSourceYaml } from '../src/dev/throwaway-config.js';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../src/dev/throwaway-prefix.js';
import { benchScale } from './scale.js';

const print = (line: string) => process.stdout.write(`${line}\n`);
const rate = (count: number, ms: number) => Math.round((count / ms) * 1000);

function scenarioEvents(count: number) {
  const blockedAt = new Date();
  const scenario = createScenario('fallback', { blockedAt, timeScale: 50, fallbackAfterMs: 1_000 });
  const hosts: WatchedHost[] = scenario.hosts.map((host) => ({ hostname: host.hostname, ip: host.ip, baseline: 'ready' }));
  const baselineRows: BaselineEntry[] = scenario.connections(new Date(blockedAt.getTime() - 7 * 86_400_000), blockedAt).map((connection) => ({
    host: connection.host.fqdn,
    process_path: connection.process.path,
    process_name: connection.process.name,
    sha1: connection.process.sha1,
    dst_ip: connection.dst.ip,
    dst_hostname: connection.dst.hostname,
    dst_port: connection.dst.port,
    protocol: connection.protocol,
    count: 1,
    first_seen: connection.time,
    last_seen: connection.time,
  }));
  const window = scenario.connections(blockedAt, new Date(blockedAt.getTime() + 3_600_000));
  const events: ConnectionEvent[] = [];
  for (let index = 0; events.length < count; index += 1) {
    const connection = window[index % window.length]!;
    events.push({
      id: `bench-${index}`,
      source: 'mde-bench',
      time: connection.time,
      device: { hostname: connection.host.fqdn, ip: connection.host.ip, uid: connection.host.device_id },
      process: { name: connection.process.name, path: connection.process.path, cmd_line: connection.process.cmd_line, sha1: connection.process.sha1 },
      dst_endpoint: { ip: connection.dst.ip, port: connection.dst.port, hostname: connection.dst.hostname },
      protocol: connection.protocol,
      direction: 'outbound',
      outcome: connection.outcome,
    });
  }
  return { scenario, hosts, baselineRows, events };
}

function benchDetector(): void {
  const { hosts, baselineRows, events } = scenarioEvents(300_000);
  const settings = DetectionSettingsSchema.parse({ networks: { internal: ['10.20.0.0/16'] } });
  const detector = createDetector({
    context: { watchId: 'w-bench', incidentId: 'INC-BENCH', blocked: [{ type: 'ip', value: '203.0.113.7' }], hosts },
    baseline: compileBaseline(buildBaseline(baselineRows, hosts, settings)),
    settings,
  });
  const outcomes = new Map<string, number>();
  for (const event of events.slice(0, 20_000)) detector.assess(event);
  let start = performance.now();
  for (const event of events) {
    const assessment = detector.assess(event);
    outcomes.set(assessment.type, (outcomes.get(assessment.type) ?? 0) + 1);
  }
  const detectMs = performance.now() - start;
  // Reference: the cheapest useful pass over the same events (a key built from fields the detector reads).
  start = performance.now();
  let sink = 0;
  for (const event of events) sink += `${event.device.hostname}|${event.process?.path}|${event.dst_endpoint.ip}|${event.dst_endpoint.port}`.length;
  const referenceMs = performance.now() - start;
  print(`detector: ${rate(events.length, detectMs).toLocaleString('en')} events/s on one core (${[...outcomes].map(([type, n]) => `${type} ${n}`).join(', ')})`);
  print(`  reference (string key per event): ${rate(events.length, referenceMs).toLocaleString('en')} events/s; detector/reference time ratio ${(detectMs / referenceMs).toFixed(1)} (sink ${sink % 10})`);
}

/** A watch's baseline with three sources' estate reads of 20,000 destinations each, against one without. */
function benchEstateBaseline(): void {
  const { hosts, baselineRows, events } = scenarioEvents(100_000);
  const settings = DetectionSettingsSchema.parse({ networks: { internal: ['10.20.0.0/16'] } });
  const estate: PrevalenceSnapshot[] = ['mde', 'splunk', 'panos'].map((source, index) => ({
    version: 1,
    source,
    from: new Date(Date.now() - 7 * 86_400_000).toISOString(),
    to: new Date().toISOString(),
    refreshed_at: new Date().toISOString(),
    host_count: 5_000 - index * 100,
    ports: Array.from({ length: 2_000 }, (_, port) => ({ protocol: port % 3 === 0 ? 'udp' : 'tcp', port: 1_000 + port, hosts: 2 + (port % 4_000) })),
    destinations: Array.from({ length: 20_000 }, (_, n) => ({ destination: n % 2 ? `198.51.${(n >> 8) & 255}.${n & 255}` : `cdn-${n}.example`, hosts: 2 + (n % 900) })),
    partial: false,
  }));
  const build = (withEstate: boolean) => {
    const start = performance.now();
    const snapshot = buildBaseline(baselineRows, hosts, settings, withEstate ? { estate } : {});
    const compiled = compileBaseline(snapshot);
    return { ms: performance.now() - start, compiled, bytes: JSON.stringify(snapshot).length };
  };
  build(true);
  const own = build(false);
  const merged = build(true);
  const detect = (compiled: ReturnType<typeof compileBaseline>) => {
    const detector = createDetector({
      context: { watchId: 'w-bench', incidentId: 'INC-BENCH', blocked: [{ type: 'ip', value: '203.0.113.7' }], hosts },
      baseline: compiled,
      settings,
    });
    const start = performance.now();
    for (const event of events) detector.assess(event);
    return performance.now() - start;
  };
  detect(merged.compiled);
  const ownMs = detect(own.compiled);
  const mergedMs = detect(merged.compiled);
  print(`estate baseline: 3 sources x 20,000 destinations merged and compiled in ${merged.ms.toFixed(0)} ms (own rows only: ${own.ms.toFixed(0)} ms); snapshot ${(merged.bytes / 1e6).toFixed(1)} MB of JSON before gzip`);
  print(`  detector with the estate merged: ${rate(events.length, mergedMs).toLocaleString('en')} events/s, ${(mergedMs / ownMs).toFixed(2)}x the time of the same baseline without it`);
}

async function benchFindingStore(): Promise<void> {
  const prefix = uniquePrefix('bench');
  const redis = new Redis(TEST_REDIS_URL);
  const store = new FindingStore(redis, redisKeys(prefix));
  const count = 50_000;
  const assessed = Array.from({ length: count }, (_, index) => ({
    eventId: `e${index}`,
    time: index,
    source: 'mde-bench',
    assessment: index % 10 === 0 ? ({ type: 'suppressed', ruleId: 'builtin:browser-chrome' } as const) : ({ type: 'normal' } as const),
  }));
  try {
    let start = performance.now();
    await store.apply('w-bench', assessed);
    const applyMs = performance.now() - start;
    start = performance.now();
    await store.apply('w-bench', assessed);
    const replayMs = performance.now() - start;
    // Reference: the same number of plain ZADDs in pipelines of 500, no script.
    start = performance.now();
    for (let from = 0; from < count; from += 500) {
      const pipeline = redis.pipeline();
      for (const event of assessed.slice(from, from + 500)) pipeline.zadd(`{${prefix}}:ref`, 'NX', event.time, event.eventId);
      await pipeline.exec();
    }
    const referenceMs = performance.now() - start;
    print(`finding store: ${rate(count, applyMs).toLocaleString('en')} new events/s recorded, ${rate(count, replayMs).toLocaleString('en')} events/s replayed (no change)`);
    print(`  reference (pipelined ZADD NX only): ${rate(count, referenceMs).toLocaleString('en')} events/s; store/reference time ratio ${(applyMs / referenceMs).toFixed(2)}`);
  } finally {
    redis.disconnect();
    await dropPrefix(prefix);
  }
}

async function benchCoalescedPolling(): Promise<void> {
  const blockedAt = new Date();
  const scenario = createScenario('benign', { blockedAt });
  const mde = await startFakeMde({ scenario, tenantId: 't', clientId: 'c', clientSecret: 's' });
  try {
    const config = mdeConnector.configSchema.parse({
      id: 'mde-bench',
      type: 'mde',
      base_url: mde.url,
      token_url: mde.url,
      tenant_id: 't',
      client_id: 'c',
      client_secret: 's',
      max_hosts_per_query: 100,
    });
    const connector = mdeConnector.create(config, { logger: silentLogger() });
    const watches = 50;
    const hostsPerWatch = 10;
    const hosts = Array.from({ length: watches * hostsPerWatch }, (_, index) => ({ hostname: `WS-${index}` }));
    const before = mde.requests.length;
    const start = performance.now();
    for (let batch = 0; batch < hosts.length; batch += connector.maxHostsPerQuery) {
      await connector.fetchConnections({ hosts: hosts.slice(batch, batch + connector.maxHostsPerQuery), from: new Date(blockedAt.getTime() - 60_000), to: blockedAt });
    }
    const ms = performance.now() - start;
    const coalesced = mde.requests.length - before;
    print(`coalesced polling: ${watches} watches x ${hostsPerWatch} hosts = ${hosts.length} hosts in ${coalesced} hunting queries per tick (${ms.toFixed(0)} ms); per-watch polling would make ${watches}, per-host ${hosts.length} (ratio ${(watches / coalesced).toFixed(0)}x and ${(hosts.length / coalesced).toFixed(0)}x fewer calls against Graph's 45/min)`);
    await connector.close();
  } finally {
    await mde.close();
  }
}

async function benchWebhook(): Promise<void> {
  const prefix = uniquePrefix('bench');
  const config = testConfig({ prefix, yaml: `sources:\n${mdeSourceYaml('http://127.0.0.1:9')}`, env: { WEBHOOK_RATE_LIMIT_PER_MINUTE: '1000000' } });
  const api = await startApi(config, silentLogger());
  const headers = { Authorization: `Bearer ${TEST_TOKEN}`, 'Content-Type': 'application/json' };
  const count = 500;
  try {
    const body = (index: number) =>
      JSON.stringify({
        incident_id: `INC-B-${index}`,
        blocked: [{ type: 'ip', value: '203.0.113.7' }],
        hosts: Array.from({ length: 20 }, (_, host) => ({ hostname: `WS-${host}`, ip: `10.0.${index % 250}.${host + 1}` })),
        action_id: `bench-${index}`,
      });
    for (let index = 0; index < 20; index += 1) await axios.get(`${api.url}/healthz`);
    let start = performance.now();
    for (let index = 0; index < count; index += 1) await axios.get(`${api.url}/healthz`);
    const healthMs = performance.now() - start;
    start = performance.now();
    for (let index = 0; index < count; index += 1) await axios.post(`${api.url}/v1/containments`, body(index), { headers });
    const openMs = performance.now() - start;
    start = performance.now();
    for (let index = 0; index < count; index += 1) await axios.post(`${api.url}/v1/containments`, body(index), { headers });
    const repeatMs = performance.now() - start;
    print(`webhook: ${(openMs / count).toFixed(2)} ms per new watch (20 hosts), ${(repeatMs / count).toFixed(2)} ms per repeated action_id, sequential`);
    print(`  reference GET /healthz: ${(healthMs / count).toFixed(2)} ms; new-watch/healthz ratio ${(openMs / healthMs).toFixed(1)}, repeat/healthz ratio ${(repeatMs / healthMs).toFixed(1)}`);
  } finally {
    await api.close();
    await dropPrefix(prefix);
  }
}

benchDetector();
benchEstateBaseline();
await benchFindingStore();
await benchCoalescedPolling();
await benchWebhook();
await benchScale();
await (await import('./backtest.js')).benchBacktest();
process.exit(0);
