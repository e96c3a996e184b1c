import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FindingSchema, type Finding } from '../../src/contracts/finding.js';
import { WatchViewSchema, type WatchView } from '../../src/contracts/watch.js';
import { redisKeys, type RedisKeys } from '../../src/lib/keys.js';
import { createLogger } from '../../src/lib/logger.js';
import { createConsoleReporter } from '../../src/report/console-reporter.js';
import type { Reporter } from '../../src/report/reporter.js';
import { SlackDeliveryError } from '../../src/slack/delivery/errors.js';
import { MessagePendingError } from '../../src/slack/delivery/message-store.js';
import { createSlackReporter, type SlackReporterOptions } from '../../src/slack/delivery/slack-reporter.js';
import { startFakeSlack, type FakeSlack, type FakeSlackMessage } from '../fakes/fake-slack.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'xoxb-1111-2222-sekrit-do-not-log';
const CHANNEL = 'C07ABCDEF12';
const FAST_RETRIES = { retries: 3, minTimeout: 10, maxTimeout: 50 };
const NOW = Date.parse('2026-11-27T10:48:00Z');

let redis: Redis;
let keys: RedisKeys;
let slack: FakeSlack;
let logLines: string[];
const reporters: Reporter[] = [];
const watchIds = new Set<string>();

beforeAll(() => {
  redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 2 });
});

afterAll(async () => {
  await redis.quit();
});

beforeEach(async () => {
  keys = redisKeys(`cwtest-${randomUUID()}`);
  slack = await startFakeSlack();
  logLines = [];
});

afterEach(async () => {
  await Promise.all(reporters.splice(0).map((reporter) => reporter.close()));
  await slack.close();
  if (watchIds.size > 0) await redis.del(...[...watchIds].map((id) => keys.slackMessages(id)));
  watchIds.clear();
});

function slackReporter(overrides: Partial<SlackReporterOptions> = {}): Reporter {
  const reporter = createSlackReporter({
    token: TOKEN,
    apiUrl: slack.url,
    redis,
    keys,
    logger: createLogger({ level: 'debug', destination: { write: (line: string) => void logLines.push(line) } }),
    retryConfig: FAST_RETRIES,
    now: () => NOW,
    ...overrides,
  });
  reporters.push(reporter);
  return reporter;
}

function watchView(overrides: Partial<WatchView> = {}): WatchView {
  const id = overrides.id ?? `w-${randomUUID().slice(0, 8)}`;
  watchIds.add(id);
  return WatchViewSchema.parse({
    id,
    incident_id: 'INC-2041',
    title: 'Beacon on finance workstation',
    slack_channel: CHANNEL,
    blocked: [{ type: 'ip', value: '203.0.113.7' }],
    blocked_at: '2026-11-27T10:00:00Z',
    hosts: [{ hostname: 'FIN-WS-042', ip: '10.20.1.42', baseline: 'ready' }],
    sources: ['mde-prod'],
    duration_ms: 86_400_000,
    poll_interval_ms: 60_000,
    baseline_ms: 604_800_000,
    state: 'watching',
    opened_by: 'xsoar',
    created_at: '2026-11-27T10:00:05Z',
    updated_at: '2026-11-27T10:01:00Z',
    expires_at: '2026-11-28T10:00:00Z',
    action_ids: [],
    audit: [],
    findings: { total: 0, by_severity: { info: 0, low: 0, medium: 0, high: 0, critical: 0 } },
    suppressed: { count: 0, by_rule: {} },
    coverage: [],
    status_url: `http://127.0.0.1:8080/v1/watches/${id}`,
    ...overrides,
  });
}

function rundll32(overrides: Partial<Finding> = {}): Finding {
  return FindingSchema.parse({
    id: 'f-rundll32-8443',
    watch_id: 'w',
    host: 'FIN-WS-042',
    process: { name: 'rundll32.exe', path: 'C:\\Windows\\System32\\rundll32.exe', cmd_line: 'rundll32.exe upd.dll,Start' },
    dst: { ip: '198.18.7.9', port: 8443 },
    protocol: 'tcp',
    kind: ['quiet_process', 'uncommon_port'],
    severity: 'high',
    score: 82,
    reasons: ['rundll32.exe made no network connections on this host in the baseline'],
    connected: true,
    first_seen: '2026-11-27T10:02:11Z',
    last_seen: '2026-11-27T10:02:11Z',
    count: 1,
    sources: ['mde-prod'],
    status: 'open',
    ...overrides,
  });
}

const blocksText = (message: FakeSlackMessage | undefined): string => JSON.stringify(message?.blocks ?? []);
const topLevel = (channel: string) => slack.messagesIn(channel).filter((message) => message.thread_ts === undefined);
const replies = (channel: string) => slack.messagesIn(channel).filter((message) => message.thread_ts !== undefined);
const postCalls = () => slack.calls.filter((call) => call.method === 'chat.postMessage');

describe('Slack reporter', () => {
  it('posts one status message when a watch opens and edits it in place as the watch changes', async () => {
    const reporter = slackReporter();
    const opened = watchView();
    await reporter.publishStatus(opened);
    await reporter.publishStatus(opened);
    expect(slack.posts()).toHaveLength(1);
    expect(slack.updates()).toHaveLength(0);

    await reporter.publishStatus({
      ...opened,
      updated_at: '2026-11-27T10:30:00Z',
      findings: { total: 2, by_severity: { info: 0, low: 0, medium: 1, high: 1, critical: 0 } },
    });
    expect(slack.posts()).toHaveLength(1);
    expect(slack.updates()).toHaveLength(1);
    const [status] = topLevel(CHANNEL);
    expect(status?.edits).toBe(1);
    expect(blocksText(status)).toContain('2 findings');

    // Slack itself links or previews nothing, and the edit carries block ids of its own.
    const sent = slack.calls.filter((call) => call.method === 'chat.postMessage' || call.method === 'chat.update');
    expect(sent.map((call) => call.method)).toEqual(['chat.postMessage', 'chat.update']);
    for (const call of sent) {
      expect(call.body.parse).toBe('none');
      expect(call.body).not.toHaveProperty('link_names');
    }
    for (const call of postCalls()) expect(call.body).toMatchObject({ unfurl_links: false, unfurl_media: false });
    const [posted, edited] = sent.map((call) => new Set((call.body.blocks as Array<{ block_id: string }>).map((block) => block.block_id)));
    expect([...(edited ?? [])].filter((id) => posted?.has(id))).toEqual([]);
  });

  it('posts a finding once as a threaded reply and edits that reply when it is seen again', async () => {
    const reporter = slackReporter();
    const view = watchView();
    await reporter.publishFinding(view, rundll32());
    await reporter.publishFinding(view, rundll32());
    await reporter.publishFinding(view, rundll32({ count: 5, last_seen: '2026-11-27T10:40:00Z' }));

    const [status] = topLevel(CHANNEL);
    const threaded = replies(CHANNEL);
    expect(threaded).toHaveLength(1);
    expect(threaded[0]?.thread_ts).toBe(status?.ts);
    expect(threaded[0]?.reply_broadcast).toBe(false);
    expect(threaded[0]?.edits).toBe(1);
    expect(blocksText(threaded[0])).toContain('5 times');
  });

  it('never lets an older rendering of a finding overwrite a newer one', async () => {
    const reporter = slackReporter();
    const view = watchView();
    await reporter.publishFinding(view, rundll32({ count: 5, last_seen: '2026-11-27T10:40:00Z' }));
    await reporter.publishFinding(view, rundll32({ count: 2, last_seen: '2026-11-27T10:05:00Z' }));
    expect(slack.updates()).toHaveLength(0);
    expect(blocksText(replies(CHANNEL)[0])).toContain('5 times');
  });

  it('posts a finding once when two workers publish it at the same moment', async () => {
    const workerA = slackReporter();
    const workerB = slackReporter();
    const view = watchView();
    await workerA.publishStatus(view);

    // Whichever worker posts first stays in flight until the other has met its claim (or posted too).
    const posts = slack.holdPosts();
    const postsBefore = postCalls().length;
    const publishing = [workerA.publishFinding(view, rundll32()), workerB.publishFinding(view, rundll32())];
    const outcomes: unknown[] = [];
    for (const attempt of publishing) attempt.then(() => outcomes.push('posted'), (error: unknown) => outcomes.push(error));
    await waitFor(async () => outcomes.length > 0 || postCalls().length > postsBefore + 1, { what: 'one worker to give way' });
    expect(outcomes).toEqual([expect.any(MessagePendingError)]);
    posts.release();
    const results = await Promise.allSettled(publishing);
    const rejected = results.filter((result) => result.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.reason).toBeInstanceOf(MessagePendingError);
    expect(replies(CHANNEL)).toHaveLength(1);

    // The job layer retries the loser, which now finds the reply and has nothing to change.
    await workerB.publishFinding(view, rundll32());
    expect(replies(CHANNEL)).toHaveLength(1);
    expect(slack.updates()).toHaveLength(0);
  });

  it('waits out a 429 with Retry-After and then posts exactly once', async () => {
    const reporter = slackReporter();
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    await reporter.publishStatus(watchView());
    expect(postCalls()).toHaveLength(2);
    expect(slack.posts()).toHaveLength(1);
  });

  it('retries a rate-limited edit through the Web API client', async () => {
    const reporter = slackReporter();
    const view = watchView();
    await reporter.publishStatus(view);
    slack.failNext('chat.update', { status: 429, retryAfter: 1 });
    await reporter.publishStatus({ ...view, updated_at: '2026-11-27T10:30:00Z', state: 'closed', verdict: 'held' });
    expect(slack.updates()).toHaveLength(1);
    expect(blocksText(topLevel(CHANNEL)[0])).toContain('Containment held');
  });

  it('does not re-post after an ambiguous 500: the retry finds the reply Slack did create and edits it', async () => {
    const reporter = slackReporter();
    const view = watchView();
    await reporter.publishStatus(view);
    slack.failNext('chat.postMessage', { status: 500, commit: true });

    const failed = reporter.publishFinding(view, rundll32());
    await expect(failed).rejects.toBeInstanceOf(SlackDeliveryError);
    await expect(failed).rejects.toMatchObject({ code: 'slack.unavailable', slackError: 'http_500', retryable: true });
    expect(postCalls()).toHaveLength(2);

    await reporter.publishFinding(view, rundll32({ count: 3, last_seen: '2026-11-27T10:10:00Z' }));
    expect(slack.calls.filter((call) => call.method === 'conversations.replies')).toHaveLength(1);
    expect(postCalls()).toHaveLength(2);
    expect(replies(CHANNEL)).toHaveLength(1);
    expect(replies(CHANNEL)[0]?.edits).toBe(1);
    expect(blocksText(replies(CHANNEL)[0])).toContain('3 times');
  });

  it('posts once on the retry when a 500 means Slack created nothing', async () => {
    const reporter = slackReporter();
    const view = watchView();
    slack.failNext('chat.postMessage', { status: 500 });
    await expect(reporter.publishStatus(view)).rejects.toMatchObject({ code: 'slack.unavailable', slackError: 'http_500' });
    expect(slack.posts()).toHaveLength(0);

    await reporter.publishStatus(view);
    await reporter.publishStatus(view);
    expect(slack.posts()).toHaveLength(1);
  });

  it('falls back to the default channel when the incident channel does not exist', async () => {
    slack.unknownChannels.add('C0GONE0000');
    const reporter = slackReporter({ defaultChannel: 'C0DEFAULT00' });
    const view = watchView({ slack_channel: 'C0GONE0000' });
    await reporter.publishFinding(view, rundll32());

    expect(topLevel('C0DEFAULT00')).toHaveLength(1);
    expect(replies('C0DEFAULT00')).toHaveLength(1);
    expect(slack.messagesIn('C0GONE0000')).toHaveLength(0);
    const warning = logLines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.fallback_channel === 'C0DEFAULT00');
    expect(warning).toMatchObject({ level: 40, watch_id: view.id, error: 'channel_not_found' });
  });

  it('says what to do when the channel is unusable and no default channel is set', async () => {
    slack.failNext('chat.postMessage', { error: 'not_in_channel' });
    const reporter = slackReporter();
    const view = watchView();
    const failed = reporter.publishStatus(view);
    await expect(failed).rejects.toMatchObject({ code: 'slack.not_in_channel', slackError: 'not_in_channel', retryable: false });
    await expect(failed).rejects.toThrow(/Invite the bot .* SLACK_DEFAULT_CHANNEL/);

    // Nothing was posted, so the claim is gone and the next attempt (bot invited meanwhile) posts.
    await reporter.publishStatus(view);
    expect(slack.posts()).toHaveLength(1);
  });

  it('posts the verdict once, in the thread and to the channel, and leaves the status message closed', async () => {
    const reporter = slackReporter();
    const open = watchView();
    await reporter.publishFinding(open, rundll32());
    const closed = watchView({
      ...open,
      state: 'closed',
      verdict: 'breached',
      verdict_reasons: ['FIN-WS-042 connected to 198.18.7.9:8443 after the block'],
      updated_at: '2026-11-28T10:00:00Z',
      closed_at: '2026-11-28T10:00:00Z',
      findings: { total: 1, by_severity: { info: 0, low: 0, medium: 0, high: 1, critical: 0 } },
    });
    await reporter.publishVerdict(closed, [rundll32()]);
    await reporter.publishVerdict(closed, [rundll32()]);

    const [status] = topLevel(CHANNEL);
    const verdicts = replies(CHANNEL).filter((message) => blocksText(message).includes('Containment breached'));
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0]?.thread_ts).toBe(status?.ts);
    expect(verdicts[0]?.reply_broadcast).toBe(true);
    expect(blocksText(status)).toContain('closed');

    // A late job with the watch still open must not reopen the status message.
    await reporter.publishStatus(open);
    expect(blocksText(topLevel(CHANNEL)[0])).toContain('Containment breached');
  });

  it('never writes the bot token to the logs, even when calls fail', async () => {
    slack.unknownChannels.add('C0GONE0000');
    const reporter = slackReporter({ defaultChannel: 'C0DEFAULT00' });
    const view = watchView({ slack_channel: 'C0GONE0000' });
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    await reporter.publishStatus(view);
    slack.failNext('chat.postMessage', { status: 500, commit: true });
    await expect(reporter.publishFinding(view, rundll32())).rejects.toThrow();
    await reporter.publishFinding(view, rundll32());
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('\n')).not.toContain('sekrit');
  });

  it('makes a worker wait while another worker is posting, and takes over a claim whose worker died', async () => {
    const reporter = slackReporter();
    const view = watchView();
    const key = keys.slackMessages(view.id);

    await redis.hset(key, 'status', `pending:${randomUUID()}:${NOW - 5_000}`);
    const waiting = reporter.publishStatus(view);
    await expect(waiting).rejects.toBeInstanceOf(MessagePendingError);
    await expect(waiting).rejects.toMatchObject({ retryAfterMs: 55_000 });
    expect(slack.posts()).toHaveLength(0);

    await redis.hset(key, 'status', `pending:${randomUUID()}:${NOW - 120_000}`);
    await reporter.publishStatus(view);
    expect(slack.posts()).toHaveLength(1);
  });

  it('does not duplicate a message whose worker died after Slack created it', async () => {
    const reporter = slackReporter();
    const view = watchView();
    const token = randomUUID();
    const orphan = await fetch(`${slack.url}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: new URLSearchParams({
        channel: CHANNEL,
        text: 'status posted by a worker that died',
        metadata: JSON.stringify({ event_type: 'containment_watch_message', event_payload: { watch_id: view.id, slot: 'status', token } }),
      }),
    });
    expect(await orphan.json()).toMatchObject({ ok: true });
    await redis.hset(keys.slackMessages(view.id), 'status', `pending:${token}:${NOW - 120_000}`);

    await reporter.publishStatus(view);
    expect(slack.posts()).toHaveLength(1);
    expect(topLevel(CHANNEL)[0]?.edits).toBe(1);
    expect(blocksText(topLevel(CHANNEL)[0])).toContain('Beacon on finance workstation');
  });

  it('answers not_authed to a client without a bot token', async () => {
    const response = await fetch(`${slack.url}chat.postMessage`, { method: 'POST', body: new URLSearchParams({ channel: CHANNEL, text: 'x' }) });
    expect(await response.json()).toEqual({ ok: false, error: 'not_authed' });
  });
});

describe('console reporter', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cw-console-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function consoleReporter(jsonlPath: string) {
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
    const reporter = createConsoleReporter({ out, jsonlPath, redis, keys, logger: createLogger({ level: 'silent' }), now: () => NOW });
    reporters.push(reporter);
    return { reporter, printed: () => chunks.join('') };
  }

  it('prints a finding once across two workers sharing Redis, and again only when its severity rises', async () => {
    const jsonl = join(dir, 'findings.jsonl');
    const a = consoleReporter(jsonl);
    const b = consoleReporter(jsonl);
    const view = watchView();
    const hostile = rundll32({ process: { name: 'evil\u001b[2J.exe', path: 'C:\\Temp\\evil\u001b[2J.exe' } });

    await Promise.all([a.reporter.publishStatus(view), b.reporter.publishStatus(view)]);
    await Promise.all([a.reporter.publishFinding(view, hostile), b.reporter.publishFinding(view, hostile)]);
    await b.reporter.publishFinding(view, { ...hostile, count: 4 });
    await a.reporter.publishFinding(view, { ...hostile, severity: 'critical' });
    await b.reporter.publishFinding(view, { ...hostile, severity: 'medium' });

    const printed = a.printed() + b.printed();
    expect(printed.match(/containment watch/g)).toHaveLength(1);
    expect(printed.match(/finding on FIN-WS-042/g)).toHaveLength(2);
    expect(printed).toContain('[INC-2041] HIGH finding on FIN-WS-042: evil\\x1b[2J.exe -> 198.18.7.9:8443/tcp (connected)');
    expect(printed).toContain('CRITICAL (raised from high) finding');
    expect(printed).not.toContain('\u001b');

    const records = (await readFile(jsonl, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.map((record) => record.type)).toEqual(['status', 'finding', 'finding']);
    expect(records[1]).toMatchObject({ type: 'finding', watch_id: view.id, incident_id: 'INC-2041', finding: { id: 'f-rundll32-8443' } });
    expect(Object.keys(records[0] ?? {}).slice(0, 4)).toEqual(['type', 'at', 'watch_id', 'incident_id']);
  });

  it('a worker that dies between claiming a line and appending it leaves the line to the next publication, written once', async () => {
    const jsonl = join(dir, 'missing-dir', 'findings.jsonl');
    let clock = NOW;
    const out = new PassThrough();
    const make = () => createConsoleReporter({ out, jsonlPath: jsonl, redis, keys, logger: createLogger({ level: 'silent' }), now: () => clock });
    const view = watchView({ id: 'w-console-crash-1' });
    const finding = rundll32();

    // The append fails (as if the process died there): the claim stays, the line is not in the file.
    await expect(make().publishFinding(view, finding)).rejects.toThrow();
    await mkdir(join(dir, 'missing-dir'));
    await make().publishFinding(view, finding);
    expect(await readFile(jsonl, 'utf8').catch(() => ''), 'a claim this young may still be written by a live worker').toBe('');

    clock += 60_000;
    await make().publishFinding(view, finding);
    await make().publishFinding(view, finding);
    const lines = (await readFile(jsonl, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ type: 'finding', line_id: `w-console-crash-1:finding:${finding.id}:${finding.severity}` });
  });

  it('a worker that dies after appending a line, before clearing its claim, does not get it written twice', async () => {
    const jsonl = join(dir, 'findings.jsonl');
    let clock = NOW;
    const reporter = createConsoleReporter({ out: new PassThrough(), jsonlPath: jsonl, redis, keys, logger: createLogger({ level: 'silent' }), now: () => clock });
    const view = watchView({ id: 'w-console-crash-2' });
    await reporter.publishVerdict({ ...view, state: 'closed', verdict: 'breached' }, [rundll32()]);
    const written = (await readFile(jsonl, 'utf8')).trim().split('\n');
    // Put back the claims as a worker killed before its HDEL would have left them.
    for (const line of written) {
      const record = JSON.parse(line) as { type: string };
      await redis.hset(keys.slackMessages(view.id), `console:${record.type}:pending`, line);
    }

    clock += 60_000;
    await reporter.publishVerdict({ ...view, state: 'closed', verdict: 'breached' }, [rundll32()]);

    expect((await readFile(jsonl, 'utf8')).trim().split('\n')).toEqual(written);
    expect(await redis.hkeys(keys.slackMessages(view.id))).not.toContain('console:verdict:pending');
  });

  it('prints the verdict once and the closed state once', async () => {
    const jsonl = join(dir, 'verdict.jsonl');
    const a = consoleReporter(jsonl);
    const b = consoleReporter(jsonl);
    const closed = watchView({ state: 'closed', verdict: 'held', verdict_reasons: ['every host reported; no fallback channel'] });
    await a.reporter.publishVerdict(closed, []);
    await b.reporter.publishVerdict(closed, []);

    const printed = a.printed() + b.printed();
    expect(printed.match(/VERDICT: containment held/g)).toHaveLength(1);
    expect(printed).toContain('- every host reported; no fallback channel');
    const types = (await readFile(jsonl, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { type: string }).type);
    expect(types).toEqual(['status', 'verdict']);
  });
});
