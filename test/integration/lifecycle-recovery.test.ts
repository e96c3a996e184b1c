import { createHash, randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContainmentRequestSchema, type ContainmentRequest } from '../../src/contracts/containment-request.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { QUEUE } from '../../src/queue/jobs.js';
import { WatchQueues, baselineJobId, closeJobId } from '../../src/queue/queues.js';
import { statusMessage } from '../../src/slack/render/blocks.js';
import { createWorkerParts, jobDepsOf } from '../../src/runtime/build.js';
import type { WorkerParts } from '../../src/runtime/worker-parts.js';
import { MAX_REDRIVES, reconcileWatches, redriveDelayMs } from '../../src/watch/reconciler.js';
import { closeWatch } from '../../src/watch/watch-closer.js';
import { WatchService } from '../../src/watch/watch-service.js';
import { mdeSourceYaml, testConfig } from '../helpers/config.js';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const MINUTE = 60_000;
const SOAR = { actor: 'soar', scope: 'open' } as const;

/** A loopback port nothing listens on: bound, read, released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const request = (incident: string, overrides: Partial<ContainmentRequest> = {}): ContainmentRequest =>
  ContainmentRequestSchema.parse({
    incident_id: incident,
    blocked: [{ type: 'ip', value: '203.0.113.7' }],
    hosts: [{ hostname: 'FIN-WS-042', ip: '10.20.1.42' }],
    ...overrides,
  });

describe('a watch is never left without the jobs that give it a baseline and a verdict', () => {
  const redis = new Redis(TEST_REDIS_URL);
  // Each test has a prefix of its own: the reconciler looks at every active watch of its prefix.
  let prefix: string;
  let parts: WorkerParts;
  let service: WatchService;
  /** Takes jobs off the watch queue by hand, so a test decides how each ends (as a crashed worker would leave it). */
  let hand: Worker;

  beforeEach(() => {
    prefix = uniquePrefix('lifecycle');
    const config = testConfig({ prefix, yaml: `sources:\n${mdeSourceYaml('http://127.0.0.1:9')}` });
    parts = createWorkerParts({ config, redis, logger: silentLogger(), metrics: createMetrics(), reporterOut: new PassThrough() });
    service = serviceWith(parts.queues);
    hand = new Worker(QUEUE.watch, null, { connection: new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null }), prefix: parts.keys.bullPrefix });
  });

  afterEach(async () => {
    await hand.close();
    await parts.queues.close();
    await dropPrefix(prefix);
  });

  afterAll(() => redis.disconnect());

  const serviceWith = (queues: WatchQueues) =>
    new WatchService({
      redis,
      keys: parts.keys,
      store: parts.store,
      scheduler: queues,
      defaults: { durationMs: 60 * MINUTE, pollIntervalMs: MINUTE, baselineMs: 60 * MINUTE },
      sourceIds: ['mde-prod'],
      logger: silentLogger(),
    });

  /** A service whose queue connection finds no Redis: its watch is written, then adding the jobs fails. */
  async function openWithoutJobs(incident: string, idempotencyKey?: string) {
    const deadConnection = new Redis(`redis://127.0.0.1:${await closedPort()}`, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    deadConnection.on('error', () => undefined);
    const deadQueues = new WatchQueues(deadConnection, parts.keys.bullPrefix);
    deadQueues.onError(() => undefined);
    await expect(serviceWith(deadQueues).open(request(incident), SOAR, idempotencyKey)).rejects.toThrow();
    deadConnection.disconnect();
    await deadQueues.close().catch(() => undefined);
    const watch = await parts.store.activeWatchOfIncident(incident);
    expect(watch, 'the watch itself was written before the queue failed').toBeDefined();
    return watch!;
  }

  const jobState = (jobId: string) => parts.queues.lifecycleJob(jobId).then((job) => job.state);
  const closeIdOf = (watch: { id: string; expires_at: string; recovery?: { close_redrives: number } | undefined }) =>
    closeJobId(watch.id, new Date(watch.expires_at), watch.recovery?.close_redrives);

  /** Ends the named waiting job as BullMQ ends a job whose worker died once too often. */
  const failByHand = (jobId: string) =>
    takeByHand(jobId, (job, token) => job.moveToFailed(new UnrecoverableError('job stalled more than allowable limit'), token, false));
  const completeByHand = (jobId: string) => takeByHand(jobId, (job, token) => job.moveToCompleted(undefined, token, false));

  /** Takes waiting jobs in order, completing the others, until the named one, which `end` ends. */
  async function takeByHand(jobId: string, end: (job: Job, token: string) => Promise<unknown>): Promise<void> {
    const token = randomUUID();
    for (;;) {
      const job = (await hand.getNextJob(token)) as Job | undefined;
      if (!job) throw new Error(`job ${jobId} was not waiting`);
      if (job.id === jobId) {
        await end(job, token);
        break;
      }
      await job.moveToCompleted(undefined, token, false);
    }
  }

  it('writes the watch, its indexes and the idempotency key in one transaction, and a retried request adds the missing jobs', async () => {
    const watch = await openWithoutJobs('INC-ATOMIC-1', 'soar-action-1');
    const idempotencyKey = parts.keys.idempotency(createHash('sha256').update('soar-action-1').digest('hex'));
    expect(await redis.get(idempotencyKey), 'written with the watch').toBe(watch.id);
    expect(await jobState(baselineJobId(watch))).toBe('unknown');

    const retried = await service.open(request('INC-ATOMIC-1'), SOAR, 'soar-action-1');

    expect(retried).toMatchObject({ repeated: true, merged: false });
    expect(retried.watch.id).toBe(watch.id);
    expect(await jobState(baselineJobId(watch))).toBe('waiting');
    expect(await jobState(closeIdOf(watch))).toBe('delayed');
    expect(await redis.zcard(parts.keys.incidentWatches('INC-ATOMIC-1'))).toBe(1);
  });

  it('adds, on its next round, the jobs of a watch that nobody asked about again', async () => {
    const watch = await openWithoutJobs('INC-ATOMIC-2');

    const first = await reconcileWatches(jobDepsOf(parts).reconcile);
    const second = await reconcileWatches(jobDepsOf(parts).reconcile);

    expect(first.added).toBeGreaterThanOrEqual(2);
    expect(await jobState(baselineJobId(watch))).toBe('waiting');
    expect(await jobState(closeIdOf(watch))).toBe('delayed');
    expect(second).toMatchObject({ added: 0, redriven: 0 });
  });

  it('runs a failed baseline job again with backoff, shows it, and after the last re-run watches without a baseline', async () => {
    const { watch } = await service.open(request('INC-STALLED'), SOAR);
    await failByHand(baselineJobId(watch));
    let now = Date.now();

    expect((await reconcileWatches(jobDepsOf(parts).reconcile, now)).redriven).toBe(1);
    let current = (await parts.store.get(watch.id))!;
    expect(current.recovery).toMatchObject({ baseline_redrives: 1, close_redrives: 0 });
    expect(current.recovery?.last_reason).toContain('job stalled more than allowable limit');
    expect(current.audit.at(-1)).toMatchObject({ action: 'recover', actor: 'containment-watch' });
    expect(await jobState(baselineJobId(current))).toBe('waiting');
    const view = await parts.views.build(current);
    expect(JSON.stringify(statusMessage(view).blocks)).toContain('baseline re-run 1×');

    for (let run = 1; run < MAX_REDRIVES; run += 1) {
      await failByHand(baselineJobId(current));
      expect((await reconcileWatches(jobDepsOf(parts).reconcile, now)).redriven, 'no re-run before the backoff has passed').toBe(0);
      now += redriveDelayMs(run);
      expect((await reconcileWatches(jobDepsOf(parts).reconcile, now)).redriven).toBe(1);
      current = (await parts.store.get(watch.id))!;
      expect(current.recovery?.baseline_redrives).toBe(run + 1);
    }
    await failByHand(baselineJobId(current));
    now += redriveDelayMs(MAX_REDRIVES);

    expect((await reconcileWatches(jobDepsOf(parts).reconcile, now)).gaveUp).toBe(1);
    current = (await parts.store.get(watch.id))!;
    expect(current.state).toBe('watching');
    expect(current.hosts.map((host) => host.baseline)).toEqual(['unavailable']);
    expect(current.audit.at(-1)?.detail).toContain(`gave up after ${MAX_REDRIVES} re-runs`);
  });

  it('runs a failed close job again at once, under a new id', async () => {
    const blockedAt = new Date(Date.now() - 10 * MINUTE).toISOString();
    const { watch } = await service.open(request('INC-CLOSE', { blocked_at: blockedAt, watch: { duration: '5m' } }), SOAR);
    await parts.store.update(watch.id, (current) => ({
      ...current,
      state: 'watching',
      hosts: current.hosts.map((host) => ({ ...host, baseline: 'ready' as const })),
    }));
    await failByHand(closeIdOf(watch));

    expect((await reconcileWatches(jobDepsOf(parts).reconcile)).redriven).toBe(1);
    const current = (await parts.store.get(watch.id))!;
    expect(current.recovery).toMatchObject({ close_redrives: 1 });
    expect(closeIdOf(current)).not.toBe(closeIdOf(watch));
    expect(await jobState(closeIdOf(current))).toBe('waiting');
  });

  it('leaves a close that waits for late telemetry alone while it keeps looking, and runs it again once it stops', async () => {
    const blockedAt = Date.now() - 10 * MINUTE;
    const { watch } = await service.open(request('INC-WAITING', { blocked_at: new Date(blockedAt).toISOString(), watch: { duration: '5m' } }), SOAR);
    const expiresAt = Date.parse(watch.expires_at);
    await parts.store.update(watch.id, (current) => ({
      ...current,
      state: 'watching',
      hosts: current.hosts.map((host) => ({ ...host, baseline: 'ready' as const })),
    }));
    await completeByHand(closeIdOf(watch));
    const lastLook = expiresAt + 40 * MINUTE;
    await parts.store.update(watch.id, (current) => ({
      ...current,
      closing: { window_end: current.expires_at, since: current.expires_at, checked_at: new Date(lastLook).toISOString(), status: 'closing: waiting for mde-prod to catch up, 3 min', sources: [] },
    }));

    expect((await reconcileWatches(jobDepsOf(parts).reconcile, lastLook + 10 * MINUTE)).redriven, 'still looking 10 min ago').toBe(0);
    expect((await reconcileWatches(jobDepsOf(parts).reconcile, lastLook + 31 * MINUTE)).redriven, 'no look for 31 min').toBe(1);
    expect((await parts.store.get(watch.id))?.recovery?.last_reason).toBe('close job ended without closing the watch');
  });

  it('a close that comes while the baseline is still being taken waits for it instead of deciding on nothing read', async () => {
    const blockedAt = Date.now() - 10 * MINUTE;
    const { watch } = await service.open(request('INC-SLOW-BASELINE', { blocked_at: new Date(blockedAt).toISOString(), watch: { duration: '5m' } }), SOAR);
    const now = Date.now();

    await closeWatch(jobDepsOf(parts).close, watch.id, now);

    const current = (await parts.store.get(watch.id))!;
    expect(current.state).toBe('baseline');
    expect(current.verdict).toBeUndefined();
    expect(current.closing?.status).toBe('closing: waiting for the baseline to finish');
    const recheck = closeJobId(watch.id, new Date(now + MINUTE));
    expect(await jobState(recheck)).toBe('delayed');
  });
});

