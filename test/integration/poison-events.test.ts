import { PassThrough } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BaselineEntry, ConnectionEvent } from '../../src/contracts/connection-event.js';
import type { Finding } from '../../src/contracts/finding.js';
import { WatchSchema, type WatchedHost } from '../../src/contracts/watch.js';
import { buildBaseline } from '../../src/detect/baseline.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createMetrics, type Metrics } from '../../src/lib/metrics.js';
import { atBoundary, createWorkerParts, jobDepsOf, pollerDepsOf } from '../../src/runtime/build.js';
import type { WorkerParts } from '../../src/runtime/worker-parts.js';
import type { SourceConnector, TimeRangeQuery } from '../../src/sources/types.js';
import { FindingStore, type AssessedEvent, type ApplyResult } from '../../src/stores/finding-store.js';
import { SourcePoller } from '../../src/watch/source-poller.js';
import { closeWatch } from '../../src/watch/watch-closer.js';
import { mdeSourceYaml, testConfig } from '../helpers/config.js';
import { Pipeline } from '../helpers/pipeline.js';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;
const SOURCE = 'mde-prod';
/** Half an hour ago, on a whole minute: the polls below play a 10-minute window that has already passed. */
const BLOCKED_AT = Math.floor(Date.now() / MINUTE) * MINUTE - 30 * MINUTE;
const EXPIRES_AT = BLOCKED_AT + 10 * MINUTE;
const HOST: WatchedHost = { hostname: 'FIN-WS-042', ip: '10.20.1.42', baseline: 'ready' };
const SVCHOST = 'C:\\Windows\\System32\\svchost.exe';
const LONE_HIGH = '\uD83D';
const POISONED = 'mshta-1';

const connection = (id: string, at: number, path: string, ip: string, port: number, cmd?: string): ConnectionEvent => ({
  id,
  source: SOURCE,
  time: BLOCKED_AT + at,
  device: { hostname: 'fin-ws-042.corp.example' },
  process: { path, ...(cmd === undefined ? {} : { cmd_line: cmd }) },
  dst_endpoint: { ip, port },
  protocol: 'tcp',
  direction: 'outbound',
  outcome: 'success',
});

/** One poll batch: the undecodable event first, the lone surrogate next, then events that must not be lost. */
const EVENTS: ConnectionEvent[] = [
  connection(POISONED, 60 * SECOND, 'C:\\Windows\\System32\\mshta.exe', '192.0.2.60', 9001),
  connection('powershell-1', 70 * SECOND, 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', '192.0.2.50', 8080, `powershell -enc SQBFAFgA${LONE_HIGH}`),
  connection('rundll32-1', 80 * SECOND, 'C:\\Windows\\System32\\rundll32.exe', '192.0.2.44', 8443, 'rundll32.exe'),
  connection('rpc-1', 90 * SECOND, SVCHOST, '10.20.0.5', 135),
  connection('certutil-1', 100 * SECOND, 'C:\\Windows\\System32\\certutil.exe', '192.0.2.70', 8081),
  // Read by the second poll only.
  connection('bitsadmin-1', 4 * MINUTE, 'C:\\Windows\\System32\\bitsadmin.exe', '192.0.2.80', 8082),
  connection('rpc-2', 5 * MINUTE, SVCHOST, '10.20.0.5', 135),
];

/** A vendor API answering a fixed script by time range; a long look-back, so every poll re-reads the first events. */
class ScriptedSource implements SourceConnector {
  readonly id = SOURCE;
  readonly type = 'scripted';
  readonly maxHostsPerQuery = 100;
  readonly lookbackMs = 10 * MINUTE;
  async fetchConnections(query: TimeRangeQuery): Promise<ConnectionEvent[]> {
    // A fresh copy per answer, as a vendor's JSON body would be.
    return structuredClone(EVENTS.filter((event) => event.time >= query.from.getTime() && event.time < query.to.getTime()));
  }
  async fetchBaseline(): Promise<BaselineEntry[]> {
    return [];
  }
  async close(): Promise<void> {}
}

/**
 * The real store, except that one event's finding carries a lone surrogate that did not come through the connector
 * boundary: JSON.stringify writes it as an escape Lua's cjson cannot decode.
 */
class PoisoningStore extends FindingStore {
  readonly calls: ApplyResult[] = [];
  override async apply(watchId: string, events: readonly AssessedEvent[], trimBelowMs?: number): Promise<ApplyResult> {
    const poisoned = events.map((event): AssessedEvent => {
      const { assessment } = event;
      if (event.eventId !== POISONED || assessment.type !== 'finding') return event;
      return { ...event, assessment: { ...assessment, finding: { ...assessment.finding, reasons: [...assessment.finding.reasons, 'bad \uDC00'] } } };
    });
    const result = await super.apply(watchId, poisoned, trimBelowMs);
    this.calls.push(result);
    return result;
  }
}

const counterValue = async (counter: Metrics['eventsQuarantined'] | Metrics['stringsRepaired']): Promise<number> =>
  (await counter.get()).values.reduce((sum, sample) => sum + sample.value, 0);

describe('one malformed event never blinds a watch', () => {
  const prefix = uniquePrefix('poison');
  const redis = new Redis(TEST_REDIS_URL);
  const metrics = createMetrics();
  const watchId = 'w-poison';
  let parts: WorkerParts;
  let store: PoisoningStore;

  beforeAll(async () => {
    const config = testConfig({
      prefix,
      yaml: `sources:\n${mdeSourceYaml('http://127.0.0.1:9')}networks:\n  internal: [10.20.0.0/16]\n  resolvers: [10.20.0.10]\n`,
    });
    const built = createWorkerParts({ config, redis, logger: silentLogger(), metrics, reporterOut: new PassThrough() });
    store = new PoisoningStore(redis, built.keys);
    parts = { ...built, findings: store, connectors: new Map([[SOURCE, atBoundary(new ScriptedSource(), silentLogger(), metrics)]]) };
    const iso = (ms: number) => new Date(ms).toISOString();
    const blocked = [{ type: 'ip' as const, value: '203.0.113.7' }];
    await parts.store.create(
      WatchSchema.parse({
        id: watchId,
        incident_id: 'INC-POISON',
        blocked,
        blocked_at: iso(BLOCKED_AT),
        hosts: [HOST],
        sources: [SOURCE],
        duration_ms: EXPIRES_AT - BLOCKED_AT,
        poll_interval_ms: MINUTE,
        baseline_ms: 7 * DAY,
        state: 'watching',
        baseline_taken_at: iso(BLOCKED_AT),
        opened_by: 'test',
        created_at: iso(BLOCKED_AT),
        updated_at: iso(BLOCKED_AT),
        expires_at: iso(EXPIRES_AT),
        action_ids: [],
        audit: [],
      }),
    );
    const rows: BaselineEntry[] = [
      { host: 'FIN-WS-042', process_path: SVCHOST, dst_ip: '10.20.0.5', dst_port: 135, protocol: 'tcp', count: 50, first_seen: BLOCKED_AT - 6 * DAY, last_seen: BLOCKED_AT - DAY },
    ];
    await parts.store.saveBaseline(watchId, buildBaseline(rows, [HOST], parts.detection, { blocked, window: { from: BLOCKED_AT - 7 * DAY, to: BLOCKED_AT } }));
  });

  afterAll(async () => {
    await parts.queues.close();
    redis.disconnect();
    await dropPrefix(prefix);
  });

  const health = async () => (await parts.store.sourceHealthOf(watchId, SOURCE))!;
  const countsByDestination = async () =>
    Object.fromEntries((await parts.findings.list(watchId)).map((finding) => [`${finding.dst.ip}:${finding.dst.port}`, finding.count]));

  it('records every other event of the batch once, quarantines and counts the bad one, repairs the lone surrogate', async () => {
    const poller = new SourcePoller(pollerDepsOf(parts));
    expect(await poller.poll(SOURCE, { onlyWatchIds: [watchId], now: BLOCKED_AT + 3 * MINUTE })).toBe('polled');

    expect(store.calls.at(-1)!.quarantined).toEqual([{ eventId: POISONED, reason: expect.stringMatching(/^undecodable payload/) }]);
    expect(await countsByDestination()).toEqual({ '192.0.2.50:8080': 1, '192.0.2.44:8443': 1, '192.0.2.70:8081': 1 });
    const powershell = (await parts.findings.list(watchId)).find((finding) => finding.dst.ip === '192.0.2.50')!;
    expect(powershell.process.cmd_line).toBe('powershell -enc SQBFAFgA\uFFFD');
    expect(await parts.findings.eventStats(watchId)).toEqual({ events: 4, normal: 1, quarantined: 1 });
    expect(await parts.findings.quarantinedEvents(watchId)).toEqual([{ eventId: POISONED, reason: expect.stringMatching(/^undecodable payload/) }]);

    expect(await health()).toMatchObject({
      consecutive_failures: 0,
      polled_until: new Date(BLOCKED_AT + 3 * MINUTE).toISOString(),
      events_seen: 4,
      events_quarantined: 1,
      strings_repaired: 1,
    });
    expect(await counterValue(metrics.eventsQuarantined)).toBe(1);
    expect(await counterValue(metrics.stringsRepaired)).toBe(1);
  });

  it('the next poll re-reads the batch without recounting anything, moves the cursor and records the new events', async () => {
    const poller = new SourcePoller(pollerDepsOf(parts));
    expect(await poller.poll(SOURCE, { onlyWatchIds: [watchId], now: BLOCKED_AT + 6 * MINUTE })).toBe('polled');

    expect(store.calls.at(-1)!.quarantined).toEqual([]);
    expect(await countsByDestination()).toEqual({ '192.0.2.50:8080': 1, '192.0.2.44:8443': 1, '192.0.2.70:8081': 1, '192.0.2.80:8082': 1 });
    expect(await parts.findings.eventStats(watchId)).toEqual({ events: 6, normal: 2, quarantined: 1 });
    expect(await health()).toMatchObject({
      consecutive_failures: 0,
      polled_until: new Date(BLOCKED_AT + 6 * MINUTE).toISOString(),
      events_seen: 6,
      events_quarantined: 1,
      strings_repaired: 1,
    });
    // The vendor answer had the lone surrogate again (the look-back); the metric counts answers, the watch events.
    expect(await counterValue(metrics.stringsRepaired)).toBe(2);
    expect(await counterValue(metrics.eventsQuarantined)).toBe(1);
  });

  it('the watch closes with a verdict', async () => {
    await closeWatch(jobDepsOf(parts).close, watchId, EXPIRES_AT + MINUTE);
    const closed = await parts.store.get(watchId);
    expect(closed).toMatchObject({ state: 'closed', verdict: 'breached' });
    expect(await health()).toMatchObject({ consecutive_failures: 0, polled_until: new Date(EXPIRES_AT).toISOString(), events_quarantined: 1 });
    expect(await parts.findings.eventStats(watchId)).toEqual({ events: 6, normal: 2, quarantined: 1 });
  });
});

describe('a lone surrogate from a real connector, end to end', () => {
  let pipeline: Pipeline | undefined;
  afterEach(async () => {
    await pipeline?.close();
    pipeline = undefined;
  });

  it('the implant whose command line carries one is still reported, repaired, and the watch reaches its verdict', async () => {
    // The fake Defender serves the fallback process's command line with an unpaired high surrogate, which its JSON
    // body carries as "\ud83d": the same bytes a source that passes raw UTF-16 through would send.
    pipeline = await Pipeline.start({
      scenario: 'fallback',
      fallbackAfterMs: 2_000,
      extendScenario: (base) => ({
        ...base,
        connections: (from, to) =>
          base.connections(from, to).map((connection) =>
            connection.process.name.toLowerCase() === 'rundll32.exe'
              ? { ...connection, process: { ...connection.process, cmd_line: `${connection.process.cmd_line} ${LONE_HIGH}` } }
              : connection,
          ),
      }),
    });
    const opened = await pipeline.send(pipeline.request({ watch: { duration: '1h', poll_interval: '1s', baseline: '7d' } }));
    expect(opened.status).toBe(202);
    const view = await pipeline.closeAfter(opened.data.watch_id, 14_000);

    expect(view.verdict).toBe('breached');
    const { findings } = await pipeline.get<{ findings: Finding[] }>(`/v1/watches/${view.id}/findings`);
    const fallback = findings.filter((finding) => finding.dst.ip === '192.0.2.44' && finding.dst.port === 8443);
    expect(fallback).toHaveLength(1);
    expect(fallback[0]!.process.cmd_line).toMatch(/ \uFFFD$/);
    expect(view.coverage[0]).toMatchObject({ source: 'mde-prod', consecutive_failures: 0 });
    expect(view.coverage[0]!.strings_repaired).toBeGreaterThan(0);
    expect(view.coverage[0]!.events_quarantined).toBeUndefined();
    const repaired = (await pipeline.workers[0]!.parts.metrics.stringsRepaired.get()).values;
    expect(repaired.find((sample) => sample.labels.method === 'connections' && sample.labels.source === 'mde-prod')?.value).toBeGreaterThan(0);
  });
});
