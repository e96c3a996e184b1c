import { afterEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/contracts/finding.js';
import { FALLBACK_C2, type Scenario } from '../../src/dev/scenario/index.js';
import { Pipeline } from '../helpers/pipeline.js';
import { waitFor } from '../helpers/wait.js';

/** The first connection of the implant's fallback channel, epoch ms. */
function firstFallbackAt(scenario: Scenario): number {
  const from = scenario.blockedAt;
  const first = scenario.connections(from, new Date(from.getTime() + 60_000)).find((connection) => connection.dst.ip === FALLBACK_C2.ip);
  if (!first) throw new Error('the scenario has no fallback connection in its first minute');
  return first.time;
}

/**
 * Opens a one-hour watch and ends its window (a stop) 0.8 s after the fallback's first connection, once the watch is
 * watching: a short window would end on its own clock, before anything was read when the baseline outlasts it.
 */
async function endJustAfterFallback(pipeline: Pipeline): Promise<{ watchId: string; fallbackAt: number }> {
  const fallbackAt = firstFallbackAt(pipeline.scenario);
  const opened = await pipeline.send(pipeline.request());
  expect(opened.status).toBe(202);
  const watchId = opened.data.watch_id as string;
  await pipeline.readPast(watchId, pipeline.blockedAt.getTime());
  await waitFor(async () => Date.now() >= fallbackAt + 800, { everyMs: 10, what: 'the moment 0.8 s after the fallback connection' });
  expect((await pipeline.post(`/v1/watches/${watchId}/stop`, { reason: 'end of the window' })).status).toBe(202);
  return { watchId, fallbackAt };
}

const fallbackFindings = async (pipeline: Pipeline, watchId: string) =>
  (await pipeline.get<{ findings: Finding[] }>(`/v1/watches/${watchId}/findings`)).findings.filter((finding) => finding.dst.ip === FALLBACK_C2.ip);

describe('the close waits for late telemetry', () => {
  let pipeline: Pipeline | undefined;
  afterEach(async () => {
    await pipeline?.close();
    pipeline = undefined;
  });

  it('a fallback connection 0.8 s before the end, delivered 2 s late, is read before the verdict: breached', async () => {
    pipeline = await Pipeline.start({ scenario: 'fallback', fallbackAfterMs: 10_000, ingestionDelayMs: 2_000, sourceYaml: '    settle: 3s\n    settle_grace: 30s\n' });
    const { watchId, fallbackAt } = await endJustAfterFallback(pipeline);

    const view = await pipeline.closed(watchId);
    expect(view.verdict).toBe('breached');
    const fallback = await fallbackFindings(pipeline, watchId);
    expect(fallback).toHaveLength(1);
    expect(Date.parse(fallback[0]!.first_seen)).toBe(fallbackAt);
    expect(fallback[0]).toMatchObject({ host: 'FIN-WS-042', dst: { port: FALLBACK_C2.port } });
  });

  it('re-reading by ingestion time with no overlap still reads the fallback delivered 2 s late: breached, counted once', async () => {
    pipeline = await Pipeline.start({
      scenario: 'fallback',
      fallbackAfterMs: 10_000,
      ingestionDelayMs: 2_000,
      sourceYaml: '    settle: 3s\n    settle_grace: 30s\n    ingestion_overlap: 0s\n',
    });
    const { watchId, fallbackAt } = await endJustAfterFallback(pipeline);

    const view = await pipeline.closed(watchId);
    expect(view.verdict).toBe('breached');
    const fallback = await fallbackFindings(pipeline, watchId);
    expect(fallback.map((finding) => Date.parse(finding.first_seen))).toEqual([fallbackAt]);
    const served = pipeline.scenario.connections(new Date(fallbackAt), new Date(Date.parse(view.closed_at!))).filter((connection) => connection.dst.ip === FALLBACK_C2.ip);
    expect(fallback[0]!.count).toBeLessThanOrEqual(served.length);
    // The polls after the first asked only for rows ingested since the previous read ended.
    const covered = pipeline.mde.requests.flatMap(({ query }) => (query?.kind === 'rows' && query.covered ? [query.covered] : []));
    expect(covered.length).toBeGreaterThan(0);
    for (const { until, ingestedSince } of covered) expect(ingestedSince).toBe(until);
  });

  it('a source seen delivering events later than its settle time is waited for that long: the late fallback is read, breached', async () => {
    pipeline = await Pipeline.start({ scenario: 'fallback', fallbackAfterMs: 10_000, ingestionDelayMs: 4_000, sourceYaml: '    settle: 1s\n    settle_grace: 30s\n' });
    const { watchId, fallbackAt } = await endJustAfterFallback(pipeline);

    const view = await pipeline.closed(watchId);
    expect(view.verdict).toBe('breached');
    expect((await fallbackFindings(pipeline, watchId)).map((finding) => Date.parse(finding.first_seen))).toEqual([fallbackAt]);
  });

  it('a source that lags beyond settle + settle_grace makes the verdict inconclusive, naming it and the lag seen', async () => {
    pipeline = await Pipeline.start({ scenario: 'benign', ingestionDelayMs: 4_000, sourceYaml: '    settle: 1s\n    settle_grace: 1s\n' });
    const opened = await pipeline.send(pipeline.request());

    const closed = await pipeline.closeAfter(opened.data.watch_id, 6_000);
    expect(closed.verdict).toBe('inconclusive');
    expect(closed.verdict_reasons).toEqual(
      expect.arrayContaining([expect.stringMatching(/^mde-prod had not caught up past the window's end \(.*settle 1s, seen \d+s late\)$/)]),
    );
  });

  it('while a source has not caught up the watch says so; a source that never does makes the verdict inconclusive, naming it', async () => {
    pipeline = await Pipeline.start({ scenario: 'benign', sourceYaml: '    settle: 4s\n    settle_grace: 4s\n    max_retries: 0\n' });
    const opened = await pipeline.send(pipeline.request());
    const watchId = opened.data.watch_id as string;
    await pipeline.readPast(watchId, pipeline.blockedAt.getTime() + 3_000);
    expect((await pipeline.post(`/v1/watches/${watchId}/stop`, { reason: 'end of the window' })).status).toBe(202);

    const waiting = await waitFor(
      async () => {
        const view = await pipeline!.watch(watchId);
        return view.state === 'watching' && view.closing ? view : undefined;
      },
      { what: 'the close to wait for mde-prod' },
    );
    // From here on every read of the vendor fails: the source never catches up past the window's end.
    pipeline.mde.failNext(...Array.from({ length: 1_000 }, () => ({ status: 503 })));
    expect(waiting.closing!.status).toMatch(/^closing: waiting for mde-prod to catch up, <1 min$/);
    expect(waiting.closing!.sources).toEqual([
      expect.objectContaining({ source: 'mde-prod', settle_ms: 4_000, caught_up: false, expected_at: new Date(Date.parse(waiting.expires_at) + 4_000).toISOString() }),
    ]);
    await waitFor(async () => pipeline!.slack.updates().some((call) => JSON.stringify(call.body).includes('closing: waiting for mde-prod to catch up')), {
      what: 'the status message to show the close waiting',
    });

    const closed = await pipeline.closed(watchId);
    expect(closed.verdict).toBe('inconclusive');
    expect(closed.verdict_reasons).toEqual(expect.arrayContaining([expect.stringMatching(/^mde-prod had not caught up past the window's end \(/)]));
    expect(Date.parse(closed.closed_at!)).toBeGreaterThanOrEqual(Date.parse(closed.expires_at) + 8_000);
    expect(closed.closing).toMatchObject({ status: 'closed: gave up waiting for mde-prod', sources: [expect.objectContaining({ caught_up: false })] });
  });
});
