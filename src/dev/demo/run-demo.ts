import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios from 'axios';
import { loadConfig } from '../../config/load.js';
import { formatDuration } from '../../contracts/duration.js';
import type { Finding } from '../../contracts/finding.js';
import type { WatchView } from '../../contracts/watch.js';
import { createLogger, silentLogger } from '../../lib/logger.js';
import type { Reporter } from '../../report/reporter.js';
import { startApi, startWorker } from '../../runtime/services.js';
import { createScenario } from '../scenario/index.js';
import { sendContainment } from '../webhook-client.js';
import { demoConfigYaml } from './demo-config.js';
import type { DemoSource } from './demo-source.js';
import { freePort, localRedis } from './local-redis.js';

export interface DemoOptions {
  scenario: 'fallback' | 'benign';
  /** The vendor whose fake plays the scenario. */
  source: DemoSource;
  /** Watch window; the scenario falls back 20 s after the block. */
  durationMs: number;
  pollIntervalMs: number;
  requestFile: string;
  out: NodeJS.WritableStream;
  verbose: boolean;
}

/**
 * Runs the product end to end on this machine: a fake Defender for Endpoint plays the scenario, the
 * sample webhook opens a time-compressed watch, the console plays Slack. Resolves with the verdict.
 */
export async function runDemo(options: DemoOptions): Promise<WatchView['verdict']> {
  const { out } = options;
  const say = (line: string) => out.write(`${line}\n`);
  const redis = await localRedis(process.env.REDIS_URL);
  const blockedAt = new Date();
  // Background traffic four times denser than real life, so every host talks within a two-minute window.
  const scenario = createScenario(options.scenario, { blockedAt, timeScale: 4, fallbackAfterMs: Math.min(20_000, options.durationMs / 4) });
  const source = await options.source.start(scenario);
  const dir = mkdtempSync(join(tmpdir(), 'containment-watch-demo-'));
  const configPath = join(dir, 'containment-watch.yaml');
  writeFileSync(configPath, demoConfigYaml(source.yaml));
  const hmacSecret = randomBytes(24).toString('hex');
  const readToken = randomBytes(24).toString('hex');
  const port = await freePort();
  const config = loadConfig({
    REDIS_URL: redis.url,
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    HOST: '127.0.0.1',
    CW_CONFIG: configPath,
    CW_PREFIX: `demo-${randomBytes(4).toString('hex')}`,
    WEBHOOK_HMAC_SECRET: hmacSecret,
    WEBHOOK_TOKENS: `demo[read]:${readToken}`,
    FINDINGS_JSONL: join(dir, 'findings.jsonl'),
    ...source.env,
    LOG_LEVEL: options.verbose ? 'info' : 'warn',
  });
  const logger = options.verbose ? createLogger({ level: 'info', name: 'demo' }) : silentLogger();

  say(`containment-watch demo: scenario "${scenario.name}", ${scenario.hosts.length} hosts, watch window ${formatDuration(options.durationMs)}`);
  say(`  Redis ${redis.url}${redis.owned ? ' (private, started for the demo)' : ''}; fake ${source.label} at ${source.url}`);

  let resolveVerdict: (verdict: WatchView['verdict']) => void = () => undefined;
  const verdictPublished = new Promise<WatchView['verdict']>((resolve) => {
    resolveVerdict = resolve;
  });
  const api = await startApi(config, logger);
  const worker = await startWorker(config, logger, {
    reporterOut: out,
    decorateReporter: (reporter) => verdictTap(reporter, resolveVerdict),
  });

  try {
    const request = JSON.parse(readFileSync(options.requestFile, 'utf8')) as Record<string, unknown>;
    request.blocked_at = blockedAt.toISOString();
    request.action_id = `demo-${blockedAt.getTime()}`;
    request.watch = { duration: formatDuration(options.durationMs), poll_interval: formatDuration(options.pollIntervalMs), baseline: '7d' };
    const response = await sendContainment(api.url, JSON.stringify(request), { hmacSecret });
    say(`  POST /v1/containments -> ${response.status} ${JSON.stringify(response.data)}`);
    if (response.status >= 300) throw new Error(`the webhook was refused: ${JSON.stringify(response.data)}`);

    const verdict = await Promise.race([
      verdictPublished,
      new Promise<never>((_resolve, reject) =>
        setTimeout(() => reject(new Error('the watch did not close in time')), options.durationMs + 120_000).unref(),
      ),
    ]);
    const report = await axios.get(`${api.url}/v1/watches/${response.data.watch_id}/report?format=md`, {
      headers: { Authorization: `Bearer ${readToken}` },
      validateStatus: () => true,
    });
    if (report.status === 200) writeFileSync(join(dir, 'evidence-report.md'), report.data);
    say(`  evidence report: ${join(dir, 'evidence-report.md')}; JSON lines: ${config.env.FINDINGS_JSONL}`);
    return verdict;
  } finally {
    await api.close();
    await worker.close();
    await source.close();
    await redis.close();
  }
}

/** Passes everything to the console reporter and tells the demo when the verdict is out. */
function verdictTap(reporter: Reporter, onVerdict: (verdict: WatchView['verdict']) => void): Reporter {
  return {
    publishStatus: (view) => reporter.publishStatus(view),
    publishFinding: (view, finding: Finding) => reporter.publishFinding(view, finding),
    async publishVerdict(view, findings) {
      await reporter.publishVerdict(view, findings);
      onVerdict(view.verdict);
    },
    close: () => reporter.close(),
  };
}
