import { afterEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/contracts/finding.js';
import { FALLBACK_C2, type Scenario } from '../../src/simulator/scenario/index.js';
import { Pipeline } from '../helpers/pipeline.js';
import { waitFor } from '../helpers/wait.js';

/** The first connection of the implant's fallback channel, epoch ms. */
function firstFallbackAt(scenario: Scenario): number {
  const from = scenario.blockedAt;
  const first = scenario.connections(from, new Date(from.getTime() + 60_000)).find((connection) => connection.dst.ip === FALLBACK_C2.ip);
  if (!first) throw new Error('the scenario has no fallback connection in its first minute');
  return first.time;
}

describe('the close waits for late telemetry', () => {
  let pipeline: Pipeline | undefined;
  afterEach(async () => {
    await pipeline?.close();
    pipeline = undefined;
  });

  it('a fallback connection 0.8 s before the end, delivered 2 s late, is read before the verdict: breached', async () => {
    pipeline = await Pipeline.start({
      scenario: 'fallback',
      fallbackAfterMs: 7_000,
      ingestionDelayMs: 2_000,
      sourceYaml: '    settle: 3s\n    settle_grace: 30s\n',
    });
    const fallbackAt = firstFallbackAt(pipeline.scenario);
    const windowMs = fallbackAt + 800 - pipeline.blockedAt.getTime();
    const opened = await pipeline.send(pipeline.request({ watch: { duration: `${windowMs}ms`, poll_interval: '1s', baseline: '7d' } }));
    expect(opened.status).toBe(202);

    const view = await pipeline.closed(opened.data.watch_id);
    expect(view.verdict).toBe('breached');
    const { findings } = await pipeline.get<{ findings: Finding[] }>(`/v1/watches/${view.id}/findings`);
    const fallback = findings.filter((finding) => finding.dst.ip === FALLBACK_C2.ip);
    expect(fallback).toHaveLength(1);
    expect(Date.parse(fallback[0]!.first_seen)).toBe(fallbackAt);
    expect(fallback[0]).toMatchObject({ host: 'FIN-WS-042', dst: { port: FALLBACK_C2.port } });
  });

  it('a source seen delivering events later than its settle time is waited for that long: the late fallback is read, breached', async () => {
    pipeline = await Pipeline.start({
      scenario: 'fallback',
      fallbackAfterMs: 7_000,
      ingestionDelayMs: 4_000,
      sourceYaml: '    settle: 1s\n    settle_grace: 30s\n',
    });
    const fallbackAt = firstFallbackAt(pipeline.scenario);
    const windowMs = fallbackAt + 800 - pipeline.blockedAt.getTime();
    const opened = await pipeline.send(pipeline.request({ watch: { duration: `${windowMs}ms`, poll_interval: '1s', baseline: '7d' } }));

    const view = await pipeline.closed(opened.data.watch_id);
    expect(view.verdict).toBe('breached');
    const { findings } = await pipeline.get<{ findings: Finding[] }>(`/v1/watches/${view.id}/findings`);
    expect(findings.filter((finding) => finding.dst.ip === FALLBACK_C2.ip).map((finding) => Date.parse(finding.first_seen))).toEqual([fallbackAt]);
  });

  it('a source that lags beyond settle + settle_grace makes the verdict inconclusive, naming it and the lag seen', async () => {
    pipeline = await Pipeline.start({ scenario: 'benign', ingestionDelayMs: 4_000, sourceYaml: '    settle: 1s\n    settle_grace: 1s\n' });
    const opened = await pipeline.send(pipeline.request({ watch: { duration: '12s', poll_interval: '1s', baseline: '7d' } }));

    const closed = await pipeline.closed(opened.data.watch_id);
    expect(closed.verdict).toBe('inconclusive');
    expect(closed.verdict_reasons).toEqual(
      expect.arrayContaining([expect.stringMatching(/^mde-prod had not caught up past the window's end \(.*settle 1s, seen \d+s late\)$/)]),
    );
  });

  it('while a source has not caught up the watch says so; a source that never does makes the verdict inconclusive, naming it', async () => {
    pipeline = await Pipeline.start({ scenario: 'benign', sourceYaml: '    settle: 4s\n    settle_grace: 4s\n    max_retries: 0\n' });
    const opened = await pipeline.send(pipeline.request({ watch: { duration: '8s', poll_interval: '1s', baseline: '7d' } }));
    expect(opened.status).toBe(202);
    const watchId = opened.data.watch_id as string;

    const waiting = await waitFor(
      async () => {
        const view = await pipeline!.watch(watchId);
        return view.state === 'watching' && view.closing ? view : undefined;
      },
      { timeoutMs: 45_000, what: 'the close to wait for mde-prod' },
    );
    // From here on every read of the vendor fails: the source never catches up past the window's end.
    pipeline.mde.failNext(...Array.from({ length: 1_000 }, () => ({ status: 503 })));
    expect(waiting.closing!.status).toMatch(/^closing: waiting for mde-prod to catch up, <1 min$/);
    expect(waiting.closing!.sources).toEqual([
      expect.objectContaining({ source: 'mde-prod', settle_ms: 4_000, caught_up: false, expected_at: new Date(Date.parse(waiting.expires_at) + 4_000).toISOString() }),
    ]);
    await waitFor(async () => pipeline!.slack.updates().some((call) => JSON.stringify(call.body).includes('closing: waiting for mde-prod to catch up')), {
      timeoutMs: 30_000,
      what: 'the status message to show the close waiting',
    });

    const closed = await pipeline.closed(watchId);
    expect(closed.verdict).toBe('inconclusive');
    expect(closed.verdict_reasons).toEqual(expect.arrayContaining([expect.stringMatching(/^mde-prod had not caught up past the window's end \(/)]));
    expect(Date.parse(closed.closed_at!)).toBeGreaterThanOrEqual(Date.parse(closed.expires_at) + 8_000);
  });
});
