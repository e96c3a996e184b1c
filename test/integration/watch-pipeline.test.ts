import { afterEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/contracts/finding.js';
import { keptLogger } from '../helpers/kept-logger.js';
import { TEST_HMAC_SECRET, TEST_TOKEN } from '../helpers/config.js';
import { Pipeline, SLACK_CHANNEL } from '../helpers/pipeline.js';
import { channelStory, findingIdOf } from '../helpers/slack-posts.js';
import { waitFor } from '../helpers/wait.js';

describe('the watch pipeline, webhook to Slack', () => {
  let pipeline: Pipeline | undefined;
  afterEach(async () => {
    await pipeline?.close();
    pipeline = undefined;
  });

  it('an implant that falls back to rundll32 on 8443 after the block is reported once, as high, beside its retries; the verdict is breached', async () => {
    pipeline = await Pipeline.start({ scenario: 'fallback', fallbackAfterMs: 2_000 });
    const opened = await pipeline.send(pipeline.request({ watch: { duration: '1h', poll_interval: '1s', baseline: '7d' } }));
    expect(opened.status).toBe(202);
    expect(opened.data).toMatchObject({ incident_id: 'INC-2041', merged: false });

    // The fallback beacons every ~7 s: 14 s read after the block hold at least one of its connections.
    const view = await pipeline.closeAfter(opened.data.watch_id, 14_000);
    expect(view.verdict).toBe('breached');

    const { findings } = await pipeline.get<{ findings: Finding[] }>(`/v1/watches/${view.id}/findings`);
    const rundll32 = findings.filter((finding) => finding.process.name.toLowerCase() === 'rundll32.exe');
    expect(rundll32).toHaveLength(1);
    expect(rundll32[0]).toMatchObject({ severity: 'high', host: 'FIN-WS-042', dst: { ip: '192.0.2.44', port: 8443 }, protocol: 'tcp' });
    expect(rundll32[0]!.kind).toEqual(expect.arrayContaining(['quiet_process', 'uncommon_port', 'new_destination']));
    const retries = findings.filter((finding) => finding.kind.includes('blocked_retry'));
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ host: 'FIN-WS-042', dst: { ip: '203.0.113.7' }, connected: false });
    expect(retries[0]!.count).toBeGreaterThan(1);
    const rate = retries[0]!.retry_rate!;
    expect(rate.peak * rate.minutes).toBeGreaterThanOrEqual(retries[0]!.count);
    expect(rate.minutes).toBeLessThanOrEqual(retries[0]!.count);
    expect(findings).toHaveLength(2);

    const story = channelStory(pipeline.slack, SLACK_CHANNEL);
    expect(story.statusMessages).toHaveLength(1);
    expect(story.statusEdits).toBeGreaterThan(0);
    expect(story.findingReplies.map(findingIdOf).sort()).toEqual(findings.map((finding) => finding.id).sort());
    expect(story.findingReplies.every((reply) => reply.thread_ts === story.statusMessages[0]!.ts)).toBe(true);
    expect(story.verdicts).toHaveLength(1);
    expect(JSON.stringify(story.verdicts[0]!.blocks)).toMatch(/breached/i);
    expect(JSON.stringify(pipeline.slack.posts())).toMatch(/\*Retries:\* in \d+ minutes?, at most \d+ a minute/);
  });

  it('a host estate with only benign traffic ends held, with nothing posted but the status and the verdict, and the suppressed events counted', async () => {
    pipeline = await Pipeline.start({ scenario: 'benign' });
    const opened = await pipeline.send(pipeline.request({ watch: { duration: '1h', poll_interval: '1s', baseline: '7d' } }));
    const view = await pipeline.closeAfter(opened.data.watch_id, 10_000);

    expect(view.verdict).toBe('held');
    expect(view.findings.total).toBe(0);
    expect(view.suppressed.count).toBeGreaterThan(0);
    expect(Object.keys(view.suppressed.by_rule).length).toBeGreaterThan(0);
    const story = channelStory(pipeline.slack, SLACK_CHANNEL);
    expect(story.statusMessages).toHaveLength(1);
    expect(story.findingReplies).toHaveLength(0);
    expect(story.verdicts).toHaveLength(1);
  });

  it('the same webhook sent five times opens one watch with one status message', async () => {
    pipeline = await Pipeline.start({ scenario: 'benign' });
    const body = pipeline.request({ watch: { duration: '1h', poll_interval: '1s', baseline: '7d' } });
    const responses = [];
    // A SOAR signs each attempt afresh; attempts a second apart carry different signatures.
    const firstSignedAt = Date.now() - 10_000;
    for (let attempt = 0; attempt < 5; attempt += 1) responses.push(await pipeline.send(body, attempt % 2 ? 'bearer' : 'hmac', firstSignedAt + attempt * 1_000));
    expect(responses.map((response) => response.status)).toEqual([202, 200, 200, 200, 200]);
    expect(new Set(responses.map((response) => response.data.watch_id)).size).toBe(1);

    const watchId = responses[0]!.data.watch_id as string;
    await waitFor(async () => (await pipeline!.watch(watchId)).state === 'watching', { what: 'baseline' });
    const { watches } = await pipeline.get<{ watches: unknown[] }>('/v1/watches?state=all');
    expect(watches).toHaveLength(1);
    await waitFor(async () => channelStory(pipeline!.slack, SLACK_CHANNEL).statusEdits > 0, { what: 'a status edit' });
    expect(channelStory(pipeline.slack, SLACK_CHANNEL).statusMessages).toHaveLength(1);
  });

  it('three webhooks for the same incident with different IPs become one watch holding all three indicators', async () => {
    pipeline = await Pipeline.start({ scenario: 'benign' });
    const ips = ['203.0.113.7', '203.0.113.8', '203.0.113.9'];
    const responses = await Promise.all(
      ips.map((ip, index) =>
        pipeline!.send(pipeline!.request({ blocked: [{ type: 'ip', value: ip }], action_id: `loop-${index}`, watch: { duration: '1h', poll_interval: '1s', baseline: '7d' } })),
      ),
    );
    expect(new Set(responses.map((response) => response.data.watch_id)).size).toBe(1);
    expect(responses.map((response) => response.status).sort()).toEqual([200, 200, 202]);
    expect(responses.filter((response) => response.data.merged)).toHaveLength(2);

    const view = await pipeline.watch(responses[0]!.data.watch_id);
    expect(view.blocked.map((indicator) => indicator.value).sort()).toEqual(ips);
    expect(view.hosts).toHaveLength(3);
    expect(view.audit.map((entry) => entry.action)).toEqual(['open', 'merge', 'merge']);
  });

  it('a worker stopped mid-watch is replaced: the watch goes on and nothing is posted twice', async () => {
    pipeline = await Pipeline.start({ scenario: 'fallback', fallbackAfterMs: 1_000 });
    const opened = await pipeline.send(pipeline.request({ watch: { duration: '1h', poll_interval: '1s', baseline: '7d' } }));
    const watchId = opened.data.watch_id as string;
    await waitFor(async () => channelStory(pipeline!.slack, SLACK_CHANNEL).findingReplies.length > 0, { what: 'a first finding' });

    await pipeline.stopWorker(pipeline.workers[0]!);
    const postsWhileDown = pipeline.slack.posts().length;
    await pipeline.pollDueUntaken('mde-prod');
    expect(pipeline.slack.posts().length).toBe(postsWhileDown);
    await pipeline.startWorker();

    const view = await pipeline.closeAfter(watchId, 12_000);
    expect(view.verdict).toBe('breached');
    const story = channelStory(pipeline.slack, SLACK_CHANNEL);
    expect(story.statusMessages).toHaveLength(1);
    expect(story.verdicts).toHaveLength(1);
    const posted = story.findingReplies.map(findingIdOf);
    expect(posted.length).toBe(new Set(posted).size);
    expect(posted.length).toBe(view.findings.total);
  });
});

describe('when the source misbehaves', () => {
  let pipeline: Pipeline | undefined;
  afterEach(async () => {
    await pipeline?.close();
    pipeline = undefined;
  });

  it('a throttled, then failing Graph delays the polls but loses and doubles nothing', async () => {
    pipeline = await Pipeline.start({ scenario: 'fallback', fallbackAfterMs: 1_000 });
    const opened = await pipeline.send(pipeline.request({ watch: { duration: '1h', poll_interval: '1s', baseline: '7d' } }));
    const watchId = opened.data.watch_id as string;
    await waitFor(async () => (await pipeline!.watch(watchId)).state === 'watching', { what: 'baseline' });
    pipeline.mde.failNext({ status: 429, retryAfterSeconds: 1 }, { status: 500 }, { status: 429, retryAfterSeconds: 1 });
    const failed = () => pipeline!.mde.requests.filter((request) => request.status === 429 || request.status === 500).length;
    await waitFor(async () => failed() === 3, { what: 'the three failures to be answered' });
    // Read on past the failures: the telemetry they held up is what must be neither lost nor doubled.
    const failuresAnsweredAt = Date.now();
    await pipeline.readPast(watchId, Math.max(failuresAnsweredAt, pipeline.blockedAt.getTime() + 12_000));

    const view = await pipeline.endWindow(watchId);
    const { findings } = await pipeline.get<{ findings: Finding[] }>(`/v1/watches/${watchId}/findings`);
    const blockedAt = Date.parse(view.blocked_at);
    const truth = pipeline.scenario
      .connections(new Date(blockedAt), new Date(view.expires_at))
      .filter((connection) => connection.host.hostname === 'FIN-WS-042' && connection.dst.ip === '203.0.113.7');
    const retries = findings.find((finding) => finding.kind.includes('blocked_retry'));
    expect(retries?.count).toBe(truth.length);
    expect(pipeline.mde.requests.filter((request) => request.status === 429)).toHaveLength(2);
  });

  it('a host the source has no telemetry for is named from the start, and the watch cannot end held', async () => {
    pipeline = await Pipeline.start({ scenario: 'benign' });
    const hosts = [...(pipeline.request().hosts as object[]), { hostname: 'FIN-WS-099', ip: '10.20.1.99' }];
    const opened = await pipeline.send(pipeline.request({ hosts, watch: { duration: '1h', poll_interval: '1s', baseline: '7d' } }));
    const watchId = opened.data.watch_id as string;
    const watching = await waitFor(async () => {
      const view = await pipeline!.watch(watchId);
      return view.state === 'watching' && view.coverage.length > 0 ? view : undefined;
    }, { what: 'baseline' });
    expect(watching.coverage[0]!.hosts_invisible).toEqual([{ host: 'FIN-WS-099', reason: 'no telemetry from this source in the baseline window' }]);

    const view = await pipeline.closeAfter(watchId, 6_000);
    expect(view.verdict).toBe('inconclusive');
    expect(view.verdict_reasons).toContain('no telemetry at all during the window from FIN-WS-099');
    expect(await pipeline.get<string>(`/v1/watches/${watchId}/report?format=md`)).toContain('mde-prod cannot see FIN-WS-099: no telemetry from this source in the baseline window');
  });

  it('a source that stays down leaves the watch inconclusive, with the outage in its coverage', async () => {
    pipeline = await Pipeline.start({ scenario: 'benign', sourceYaml: '    max_retries: 0\n' });
    const opened = await pipeline.send(pipeline.request({ watch: { duration: '1h', poll_interval: '1s', baseline: '7d' } }));
    const watchId = opened.data.watch_id as string;
    await pipeline.readPast(watchId, pipeline.blockedAt.getTime() + 6_000);
    pipeline.mde.failNext(...Array.from({ length: 500 }, () => ({ status: 503 })));
    // The outage has lasted longer than a poll interval past the last read: the window's end goes unread.
    await waitFor(async () => {
      const health = (await pipeline!.watch(watchId)).coverage[0];
      return health?.last_error_at !== undefined && Date.parse(health.last_error_at) - Date.parse(health.polled_until!) > 1_000;
    }, { what: 'polls failing for more than a poll interval' });

    const view = await pipeline.endWindow(watchId);
    expect(view.verdict).toBe('inconclusive');
    expect(view.verdict_reasons?.[0]).toMatch(/^mde-prod could not be read for the last .* of the window \(last error: .*503/);
    const [health] = view.coverage;
    expect(health!.consecutive_failures).toBeGreaterThan(0);
    expect(health!.gaps.length).toBeGreaterThan(0);
  });
  it('a close that finds its watch held by a poll of a worker that died waits for the lease to lapse, then closes at its first try', async () => {
    pipeline = await Pipeline.start({ scenario: 'benign' });
    const opened = await pipeline.send(pipeline.request({ watch: { duration: '1h', poll_interval: '1s', baseline: '7d' } }));
    const watchId = opened.data.watch_id as string;
    await waitFor(async () => (await pipeline!.watch(watchId)).state === 'watching', { what: 'baseline' });

    const { parts } = pipeline.workers[0]!;
    const lockKey = parts.keys.watchPollLock(watchId, 'mde-prod');
    // What a worker killed mid-poll leaves behind: its lease on the watch's poll, no longer renewed.
    await waitFor(async () => (await parts.redis.set(lockKey, 'dead-worker', 'PX', 3_000, 'NX')) === 'OK', { what: 'the watch to be free' });
    expect((await pipeline.post(`/v1/watches/${watchId}/stop`, { reason: 'host reimaged' })).status).toBe(202);

    await pipeline.closed(watchId);
    const closeJobs = (await parts.queues.watch.getJobs(['completed', 'failed'])).filter((job) => job.name === 'close');
    expect(closeJobs).toHaveLength(1);
    expect(closeJobs[0]!.stacktrace ?? []).toEqual([]);
  });
});

describe('operating a watch through the API', () => {
  let pipeline: Pipeline | undefined;
  afterEach(async () => {
    await pipeline?.close();
    pipeline = undefined;
  });

  it('extend moves the expiry, stop closes the watch early with its reason and a verdict, both in the audit trail', async () => {
    pipeline = await Pipeline.start({ scenario: 'benign' });
    const opened = await pipeline.send(pipeline.request({ watch: { duration: '1h', poll_interval: '1s', baseline: '7d' } }));
    const watchId = opened.data.watch_id as string;
    await waitFor(async () => (await pipeline!.watch(watchId)).state === 'watching', { what: 'baseline' });

    const before = await pipeline.watch(watchId);
    const extended = await pipeline.post(`/v1/watches/${watchId}/extend`, { by: '12h' });
    expect(extended.status).toBe(200);
    expect(Date.parse(extended.data.expires_at) - Date.parse(before.expires_at)).toBe(12 * 3_600_000);

    const stopped = await pipeline.post(`/v1/watches/${watchId}/stop`, { reason: 'host reimaged' });
    expect(stopped.status).toBe(202);
    const view = await pipeline.closed(watchId);
    expect(view).toMatchObject({ state: 'closed', stop_reason: 'host reimaged' });
    expect(view.verdict).toBeDefined();
    expect(view.audit.map((entry) => entry.action)).toEqual(['open', 'extend', 'stop', 'close']);
    expect((await pipeline.post(`/v1/watches/${watchId}/extend`, { by: '1h' })).status).toBe(409);
    expect((await pipeline.post(`/v1/watches/w-unknown/stop`, {})).status).toBe(404);
    expect((await pipeline.post(`/v1/watches/${watchId}/extend`, { by: 'a while' })).data.issues[0].path).toBe('by');
  });

  it('logs JSON lines with the watch and incident ids, and never a credential', async () => {
    const { logger, lines } = keptLogger({ level: 'debug' });
    pipeline = await Pipeline.start({ scenario: 'fallback', fallbackAfterMs: 1_000, logger });
    const opened = await pipeline.send(pipeline.request({ watch: { duration: '4s', poll_interval: '1s', baseline: '7d' } }));
    await pipeline.closed(opened.data.watch_id);

    const log = lines.join('');
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.some((record) => record.watch_id === opened.data.watch_id && record.incident_id === 'INC-2041')).toBe(true);
    for (const secret of ['test-secret', TEST_TOKEN, TEST_HMAC_SECRET, 'xoxb-test-token']) expect(log).not.toContain(secret);
  });

  it('serves health, readiness with a live worker, metrics, OpenAPI and the evidence report', async () => {
    pipeline = await Pipeline.start({ scenario: 'fallback', fallbackAfterMs: 1_000 });
    const opened = await pipeline.send(pipeline.request({ watch: { duration: '1h', poll_interval: '1s', baseline: '7d' } }));
    await pipeline.closeAfter(opened.data.watch_id, 12_000);

    expect((await pipeline.raw('/healthz')).data).toEqual({ status: 'ok' });
    const ready = await pipeline.raw('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.data.checks.workers).toMatch(/^ok/);
    expect((await pipeline.raw('/metrics')).data).toMatch(/cw_webhook_requests_total\{outcome="created"\} 1/);
    const openapi = (await pipeline.raw('/openapi.json')).data;
    expect(openapi.paths['/v1/containments'].post.requestBody.content['application/json'].schema.required).toEqual(
      expect.arrayContaining(['incident_id', 'blocked', 'hosts']),
    );
    const markdown = await pipeline.get<string>(`/v1/watches/${opened.data.watch_id}/report?format=md`);
    expect(markdown).toMatch(/\*\*Verdict: breached\*\*/);
    expect(markdown).toMatch(/rundll32\.exe/);
    const report = await pipeline.get<{ verdict: string; findings: unknown[] }>(`/v1/watches/${opened.data.watch_id}/report`);
    expect(report.verdict).toBe('breached');
    expect(report.findings.length).toBeGreaterThan(0);

    for (const worker of [...pipeline.workers]) await pipeline.stopWorker(worker);
    expect((await pipeline.raw('/readyz')).status).toBe(503);
  });
});
