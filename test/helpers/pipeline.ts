import axios, { type AxiosResponse } from 'axios';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { AppConfig } from '../../src/config/load.js';
import type { WatchView } from '../../src/contracts/watch.js';
import { silentLogger, type Logger } from '../../src/lib/logger.js';
import { pollQueueName } from '../../src/queue/jobs.js';
import { startApi, startWorker, type ApiService, type WorkerService } from '../../src/runtime/services.js';
import { startFakeMde, type FakeMde } from '../../src/sources/mde/dev/fake-mde-server.js';
import { createScenario, type Scenario, type ScenarioName } from '../../src/dev/scenario/index.js';
import { sendContainment } from '../../src/dev/webhook-client.js';
import { startFakeSlack, type FakeSlack, type FakeSlackOptions } from '../fakes/fake-slack.js';
import { mdeSourceYaml, TEST_HMAC_SECRET, TEST_TOKEN, testConfig } from './config.js';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from './redis.js';
import { waitFor, WAIT_MS } from './wait.js';

export const SLACK_CHANNEL = 'C07ABCDEF12';
export const DEFAULT_CHANNEL = 'C0DEFAULT00';

export interface PipelineOptions {
  scenario: ScenarioName;
  fallbackAfterMs?: number;
  ingestionDelayMs?: number;
  /** Extra YAML appended to the MDE source entry (indented four spaces). */
  sourceYaml?: string;
  extraYaml?: string;
  /** Where the API and workers log; default silent. */
  logger?: Logger;
  /** Extra environment, e.g. SLACK_SIGNING_SECRET to turn on Slack interactivity. */
  env?: Record<string, string>;
  /** Options of the fake Slack Web API (e.g. latency, to make workers' posts overlap). */
  slack?: FakeSlackOptions;
  /** Changes what the fake MDE plays, e.g. to add hosts the watch does not name. */
  extendScenario?: (scenario: Scenario) => Scenario;
}

/**
 * The whole product on loopback: a fake Defender for Endpoint playing a scenario, a fake Slack Web API,
 * the API and a worker on a key prefix of their own, configured through the real YAML loader.
 */
export class Pipeline {
  readonly prefix = uniquePrefix('pipeline');
  readonly blockedAt = new Date();
  readonly scenario: Scenario;
  config!: AppConfig;
  mde!: FakeMde;
  slack!: FakeSlack;
  api!: ApiService;
  workers: WorkerService[] = [];

  private constructor(private readonly options: PipelineOptions) {
    const scenario = createScenario(options.scenario, {
      blockedAt: this.blockedAt,
      fallbackAfterMs: options.fallbackAfterMs ?? 2_000,
      timeScale: 20,
    });
    this.scenario = options.extendScenario ? options.extendScenario(scenario) : scenario;
  }

  static async start(options: PipelineOptions): Promise<Pipeline> {
    const pipeline = new Pipeline(options);
    await pipeline.boot();
    return pipeline;
  }

  private async boot(): Promise<void> {
    this.mde = await startFakeMde({
      scenario: this.scenario,
      tenantId: 'test-tenant',
      clientId: 'test-client',
      clientSecret: 'test-secret',
      ingestionDelayMs: this.options.ingestionDelayMs ?? 0,
    });
    this.slack = await startFakeSlack(this.options.slack);
    this.config = testConfig({
      prefix: this.prefix,
      yaml: `sources:\n${mdeSourceYaml(this.mde.url, this.options.sourceYaml ?? '')}networks:\n  internal: [10.20.0.0/16]\n  resolvers: [10.20.0.53]\n${this.options.extraYaml ?? ''}`,
      env: { SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_API_URL: this.slack.url, SLACK_DEFAULT_CHANNEL: DEFAULT_CHANNEL, ...this.options.env },
    });
    this.api = await startApi(this.config, this.options.logger ?? silentLogger());
    await this.startWorker();
    // The estate read a worker starts with is the heaviest work of the fake Defender, on this process's event loop:
    // a test's first webhook waits for it rather than race it for the API's deadline.
    await this.refreshesDone();
  }

  /** Resolves once every estate-prevalence refresh that came due has run (there are none when prevalence is off). */
  async refreshesDone(): Promise<void> {
    const queue = this.workers[0]!.parts.queues.prevalence;
    await waitFor(
      async () => {
        const schedulers = await queue.getJobSchedulers();
        const pending = await queue.getJobCounts('waiting', 'active', 'prioritized');
        return schedulers.every((scheduler) => scheduler.next !== undefined && scheduler.next > Date.now()) && Object.values(pending).every((count) => count === 0);
      },
      { what: 'the estate-prevalence refreshes that came due to run' },
    );
  }

  async startWorker(): Promise<WorkerService> {
    const worker = await startWorker(this.config, this.options.logger ?? silentLogger(), { concurrency: 4 });
    this.workers.push(worker);
    return worker;
  }

  async stopWorker(worker: WorkerService): Promise<void> {
    await worker.close();
    this.workers = this.workers.filter((running) => running !== worker);
  }

  /** A containment request for the scenario's hosts, with a time-compressed window. */
  request(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      incident_id: 'INC-2041',
      title: 'Beacon on finance workstation',
      severity: 'high',
      slack_channel: SLACK_CHANNEL,
      blocked: [this.scenario.blockedIndicator],
      blocked_at: this.blockedAt.toISOString(),
      hosts: this.scenario.hosts.map((host) => ({ hostname: host.hostname, ip: host.ip })),
      watch: { duration: '1h', poll_interval: '1s', baseline: '7d' },
      action_id: `run-${this.prefix}`,
      ...overrides,
    };
  }

  /**
   * Sends a containment request as a SOAR does, sending it again while the API answers 503: on a loaded machine a
   * request can outlast the API's deadline, and the same request (same action_id) is then safe to repeat.
   * `signedAtMs` dates the signature: two identical requests signed in the same second carry the same signature,
   * and the second is refused as a replay.
   */
  send(body: unknown, headers: 'hmac' | 'bearer' = 'hmac', signedAtMs?: number): Promise<AxiosResponse> {
    const auth = headers === 'hmac' ? { hmacSecret: TEST_HMAC_SECRET } : { token: TEST_TOKEN };
    return waitFor(
      async () => {
        const response = await sendContainment(this.api.url, JSON.stringify(body), auth, signedAtMs);
        return response.status === 503 ? undefined : response;
      },
      { everyMs: 200, what: 'the API to answer the containment request with something else than 503' },
    );
  }

  async get<T = unknown>(path: string): Promise<T> {
    const response = await axios.get(`${this.api.url}${path}`, { headers: { Authorization: `Bearer ${TEST_TOKEN}` } });
    return response.data as T;
  }

  post(path: string, body: unknown): Promise<AxiosResponse> {
    return axios.post(`${this.api.url}${path}`, body, { headers: { Authorization: `Bearer ${TEST_TOKEN}` }, validateStatus: () => true });
  }

  delete(path: string): Promise<AxiosResponse> {
    return axios.delete(`${this.api.url}${path}`, { headers: { Authorization: `Bearer ${TEST_TOKEN}` }, validateStatus: () => true });
  }

  /** An unauthenticated GET, as a load balancer or Prometheus makes it. */
  raw(path: string): Promise<AxiosResponse> {
    return axios.get(`${this.api.url}${path}`, { validateStatus: () => true });
  }

  watch(id: string): Promise<WatchView> {
    return this.get<WatchView>(`/v1/watches/${id}`);
  }

  /**
   * Waits until the watch is watching and every one of its sources has read telemetry up to `atMs`. A test that needs
   * a window's telemetry read lets a long watch get this far and then ends it (`endWindow`): a short window ends on
   * its own clock, and when the baseline outlasts it (a loaded machine) the close comes before anything was read.
   */
  async readPast(id: string, atMs: number): Promise<WatchView> {
    return waitFor(
      async () => {
        const view = await this.watch(id);
        const read = view.sources.every((source) => {
          const polledUntil = view.coverage.find((health) => health.source === source)?.polled_until;
          return polledUntil !== undefined && Date.parse(polledUntil) >= atMs;
        });
        return view.state === 'watching' && read ? view : undefined;
      },
      { what: `watch ${id} to read its sources up to ${new Date(atMs).toISOString()}` },
    );
  }

  /** Ends the watch's window now, as a responder's stop does, and waits for its verdict. */
  async endWindow(id: string): Promise<WatchView> {
    const stopped = await this.post(`/v1/watches/${id}/stop`, { reason: 'the test has what it watched for' });
    if (stopped.status !== 202) throw new Error(`stopping watch ${id} answered ${stopped.status}`);
    return this.closed(id);
  }

  /** A watch that has read `windowMs` of telemetry after the block, closed then: the window a short duration means. */
  async closeAfter(id: string, windowMs: number): Promise<WatchView> {
    await this.readPast(id, this.blockedAt.getTime() + windowMs);
    return this.endWindow(id);
  }

  /**
   * Resolves once a poll of `sourceId` has come due and no worker has taken it: by then a running worker would have
   * polled, so "nothing happened" means something.
   */
  async pollDueUntaken(sourceId: string): Promise<void> {
    const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue(pollQueueName(sourceId), { connection, prefix: `${this.prefix}-q` });
    try {
      await waitFor(
        async () => {
          const next = (await queue.getJobScheduler(`poll-${sourceId}`))?.next;
          return next !== undefined && next <= Date.now();
        },
        { what: `a poll of ${sourceId} to come due` },
      );
    } finally {
      await queue.close();
      connection.disconnect();
    }
  }

  /** Waits until the watch is closed and its verdict reached Slack. */
  async closed(id: string, timeoutMs = WAIT_MS): Promise<WatchView> {
    return waitFor(
      async () => {
        const view = await this.watch(id);
        const verdictPosted = this.slack.posts().some((post) => post.reply_broadcast);
        return view.state === 'closed' && verdictPosted ? view : undefined;
      },
      { timeoutMs, everyMs: 200, what: `watch ${id} to close` },
    );
  }

  async close(): Promise<void> {
    for (const worker of this.workers) await worker.close();
    await this.api.close();
    await this.mde.close();
    await this.slack.close();
    await dropPrefix(this.prefix);
  }
}
