import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios from 'axios';
import * as z from 'zod';
import { FindingSchema, type Finding } from '../src/contracts/finding.js';
import { WatchViewSchema, type WatchView } from '../src/contracts/watch.js';
import { startFakeMde, type FakeMde } from '../src/sources/mde/dev/fake-mde-server.js';
import { startFakeSlack, type FakeSlack } from '../test/fakes/fake-slack.js';
import { freePort, ThrowawayRedis } from '../test/helpers/throwaway-redis.js';
import { waitFor } from '../test/helpers/wait.js';
import type { ScenarioClock } from './scenario.js';
import { ServiceProcess } from './service-process.js';
import { CountingProxy, HUNTING_KINDS, huntingKind, type VendorProxy } from './counting-proxy.js';
import { postContainment, type WebhookOutcome } from './webhook.js';

export interface StackSource {
  id: string;
  scenario: ScenarioClock;
  ingestionDelayMs?: number;
  /** More YAML fields of the source entry, e.g. `timeout: 1s`. Default: `SHORT_SETTLE`. */
  fields?: string[];
}

export interface StackOptions {
  name: string;
  sources: StackSource[];
  /** Findings go to a fake Slack, or (no Slack token) to the console and a JSON-lines file. */
  reporter: 'slack' | 'jsonl';
  /** API and worker as separate processes, or the all-in-one process. */
  layout: 'split' | 'all-in-one';
}

const FindingsAnswerSchema = z.object({ findings: z.array(FindingSchema) });
const WatchPageSchema = z.object({ watches: z.array(z.object({ id: z.string(), incident_id: z.string() })), next_cursor: z.string().nullable() });
const JsonLineSchema = z.object({ type: z.string(), watch_id: z.string(), finding: z.object({ id: z.string(), severity: z.string() }).optional() });
export type JsonLine = z.infer<typeof JsonLineSchema>;

/**
 * The fakes' telemetry is searchable at once (or `ingestionDelayMs` late): the close waits seconds for it to settle
 * rather than the vendor's minutes, and gives a source up half a minute later.
 */
export const SHORT_SETTLE = ['settle: 3s', 'settle_grace: 30s'];
/** Ports tried for the API's first start (see `start`). */
const PORT_ATTEMPTS = 3;

const secret = (bytes = 24) => randomBytes(bytes).toString('hex');

/**
 * The product as an operator runs it, on loopback: its own redis-server, a fake Defender for Endpoint per source
 * (behind a proxy that shows which hunting queries are in flight), a fake Slack or a JSON-lines file, and the API
 * and worker processes started from src/bin. Every secret is fresh, so the log check can look for each.
 */
export class Stack {
  readonly prefix = `chaos-${randomBytes(3).toString('hex')}`;
  readonly dir = mkdtempSync(join(tmpdir(), 'cw-chaos-'));
  readonly jsonlPath = join(this.dir, 'findings.jsonl');
  readonly webhookToken = secret();
  readonly hmacSecret = secret();
  readonly slackToken = `xoxb-${secret()}`;
  readonly sourceSecrets: string[];
  /** The scenario's own Redis, AOF on: it may be killed, paused and restarted. */
  redis!: ThrowawayRedis;
  slack: FakeSlack | undefined;
  fakes: FakeMde[] = [];
  proxies: VendorProxy[] = [];
  api!: ServiceProcess;
  workers: ServiceProcess[] = [];
  apiUrl = '';
  /** Webhook calls go through it, so a scenario sees which are inside the API. */
  webhookProxy!: CountingProxy<'webhook'>;
  readonly answers: WebhookOutcome[] = [];
  /** What has been started, each with how to stop it, in start order. */
  private readonly stoppers: (() => Promise<void>)[] = [];

  private constructor(readonly options: StackOptions) {
    this.sourceSecrets = options.sources.map(() => secret());
  }

  /** Boots the stack; if any part fails to start, what did start is stopped before the error is passed on. */
  static async start(options: StackOptions): Promise<Stack> {
    const stack = new Stack(options);
    try {
      await stack.boot();
    } catch (error) {
      await stack.close();
      throw error;
    }
    return stack;
  }

  get processes(): ServiceProcess[] {
    return [this.api, ...this.workers];
  }

  /** Every secret this stack's processes were given. */
  get secrets(): string[] {
    return [this.webhookToken, this.hmacSecret, this.slackToken, this.slackToken.slice('xoxb-'.length), ...this.sourceSecrets];
  }

  private async boot(): Promise<void> {
    this.redis = await ThrowawayRedis.start({ aof: true });
    this.stoppers.push(() => this.redis.remove());
    const { sources } = this.options;
    for (const [index, source] of sources.entries()) {
      const fake = await startFakeMde({
        scenario: source.scenario,
        tenantId: 'chaos-tenant',
        clientId: 'chaos-client',
        clientSecret: this.sourceSecrets[index] ?? '',
        ingestionDelayMs: source.ingestionDelayMs ?? 0,
      });
      this.fakes.push(fake);
      this.stoppers.push(() => fake.close());
      const proxy = await CountingProxy.start(fake.url, HUNTING_KINDS, huntingKind);
      this.proxies.push(proxy);
      this.stoppers.push(() => proxy.close());
    }
    if (this.options.reporter === 'slack') {
      const slack = await startFakeSlack();
      this.slack = slack;
      this.stoppers.push(() => slack.close());
    }
    const sourceYaml = sources
      .map((source, index) => {
        const url = this.proxies[index]?.url ?? '';
        const fields = [`id: ${source.id}`, 'type: mde', `base_url: ${url}`, `token_url: ${url}`, 'tenant_id: chaos-tenant', 'client_id: chaos-client'];
        fields.push(`client_secret: \${CHAOS_SOURCE_SECRET_${index}}`, 'lookback: 5s', ...(source.fields ?? SHORT_SETTLE));
        return `  - ${fields.join('\n    ')}\n`;
      })
      .join('');
    const configPath = join(this.dir, 'containment-watch.yaml');
    writeFileSync(configPath, `sources:\n${sourceYaml}networks:\n  internal: [10.20.0.0/16]\n  resolvers: [10.20.0.53]\n`);
    const { name, layout } = this.options;
    const envFor = (port: number): Record<string, string> => ({
      REDIS_URL: this.redis.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      CW_CONFIG: configPath,
      CW_PREFIX: this.prefix,
      WEBHOOK_TOKENS: `soar:${this.webhookToken}`,
      WEBHOOK_HMAC_SECRET: this.hmacSecret,
      LOG_LEVEL: 'debug',
      ...Object.fromEntries(this.sourceSecrets.map((value, index) => [`CHAOS_SOURCE_SECRET_${index}`, value])),
      ...(this.slack
        ? { SLACK_BOT_TOKEN: this.slackToken, SLACK_API_URL: this.slack.url, SLACK_DEFAULT_CHANNEL: 'C0CHAOSDEF' }
        : { FINDINGS_JSONL: this.jsonlPath }),
    });
    // A port found free can be taken (by any process's outgoing connection) before the API listens on it: a start
    // that fails on that alone is tried on another port, the others fail the scenario.
    let env: Record<string, string> | undefined;
    for (let attempt = 1; env === undefined; attempt += 1) {
      const candidate = envFor(await freePort());
      const api = new ServiceProcess(`${name}/${layout === 'split' ? 'api' : 'all-in-one'}`, layout === 'split' ? 'api' : 'all-in-one', candidate);
      try {
        await api.start();
        this.api = api;
        env = candidate;
      } catch (error) {
        await api.stop();
        if (attempt >= PORT_ATTEMPTS || !api.lines.some((line) => line.includes('EADDRINUSE'))) throw error;
      }
    }
    this.apiUrl = env.PUBLIC_URL as string;
    this.stoppers.push(() => this.api.stop());
    this.webhookProxy = await CountingProxy.start(this.apiUrl, ['webhook'], (path) => (path === '/v1/containments' ? 'webhook' : undefined));
    this.stoppers.push(() => this.webhookProxy.close());
    if (layout === 'split') {
      const worker = new ServiceProcess(`${name}/worker`, 'worker', env);
      this.workers.push(worker);
      this.stoppers.push(() => worker.stop());
      await worker.start();
    }
  }

  /** The SOAR blocks the C2 now, on every source's scenario: call it right before the first webhook. */
  blockNow(blockedAt = new Date()): void {
    for (const source of this.options.sources) source.scenario.blockNow(blockedAt);
  }

  /** A containment request over the scenario's hosts, its own incident and Slack channel, a short window. */
  request(incident: string, source: StackSource, watch: { duration: string; poll_interval: string }): Record<string, unknown> {
    return {
      incident_id: incident,
      title: `chaos ${incident}`,
      severity: 'high',
      slack_channel: channelOf(incident),
      blocked: [source.scenario.blockedIndicator],
      blocked_at: source.scenario.blockedAt.toISOString(),
      hosts: source.scenario.hosts.map((host) => ({ hostname: host.hostname, ip: host.ip })),
      watch: { ...watch, baseline: '7d' },
      sources: [source.id],
      action_id: `chaos-${incident}`,
    };
  }

  /** Sends one webhook call; every outcome is kept in `answers`. */
  async send(body: unknown, timeoutMs = 30_000): Promise<WebhookOutcome> {
    const outcome = await postContainment(this.webhookProxy.url, body, this.hmacSecret, timeoutMs);
    this.answers.push(outcome);
    return outcome;
  }

  /** Sends until the API accepts, as a SOAR retrying its webhook does (on 5xx or no answer); a 4xx is an error. */
  async open(body: unknown, what: string): Promise<string> {
    const opened = await waitFor(
      async () => {
        const outcome = await this.send(body);
        if (outcome.status === 200 || outcome.status === 202) return z.object({ watch_id: z.string() }).parse(outcome.body).watch_id;
        if (outcome.status === 'no_answer' || outcome.status >= 500) return undefined;
        throw new Error(`${what}: the webhook answered ${outcome.status} ${JSON.stringify(outcome.body)}`);
      },
      { timeoutMs: 120_000, everyMs: 1_000, what: `${what} to be opened` },
    );
    return opened;
  }

  private async get(path: string): Promise<unknown> {
    const response = await axios.get(`${this.apiUrl}${path}`, { headers: { Authorization: `Bearer ${this.webhookToken}` }, timeout: 15_000 });
    return response.data;
  }

  async watch(id: string): Promise<WatchView> {
    return WatchViewSchema.parse(await this.get(`/v1/watches/${id}`));
  }

  async findings(id: string): Promise<Finding[]> {
    return FindingsAnswerSchema.parse(await this.get(`/v1/watches/${id}/findings`)).findings;
  }

  /** Every watch the install holds, walked page by page. */
  async allWatches(): Promise<{ id: string; incident_id: string }[]> {
    const watches: { id: string; incident_id: string }[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page = WatchPageSchema.parse(await this.get(`/v1/watches?state=all&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`));
      watches.push(...page.watches);
      cursor = page.next_cursor;
    }
    return watches;
  }

  /** Waits until the watch is closed with a verdict and its reporter has published that verdict. */
  async verdict(id: string, timeoutMs: number): Promise<WatchView> {
    return waitFor(
      async () => {
        const view = await this.watch(id).catch(() => undefined);
        if (view?.state !== 'closed' || view.verdict === undefined) return undefined;
        const published = this.slack
          ? this.slack.messagesIn(channelOf(view.incident_id)).some((message) => message.thread_ts !== undefined && message.reply_broadcast)
          : this.jsonLines().some((line) => line.type === 'verdict' && line.watch_id === id);
        return published ? view : undefined;
      },
      { timeoutMs, everyMs: 500, what: `watch ${id} (${this.options.name}) to reach its verdict` },
    );
  }

  /** The JSON-lines file's records; a line cut by a kill is kept out and counted by `unreadableJsonLines`. */
  jsonLines(): JsonLine[] {
    return this.readJsonLines().filter((line): line is JsonLine => line !== undefined);
  }

  unreadableJsonLines(): number {
    return this.readJsonLines().filter((line) => line === undefined).length;
  }

  private readJsonLines(): (JsonLine | undefined)[] {
    if (!existsSync(this.jsonlPath)) return [];
    return readFileSync(this.jsonlPath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        try {
          return JsonLineSchema.parse(JSON.parse(line));
        } catch {
          return undefined;
        }
      });
  }

  async close(): Promise<void> {
    for (const stop of this.stoppers.splice(0).reverse()) await stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Each incident posts to its own channel, so a channel's messages are one watch's story. */
export const channelOf = (incident: string): string => `C${incident.replace(/[^A-Z0-9]/gi, '').toUpperCase().padEnd(8, '0')}`;
