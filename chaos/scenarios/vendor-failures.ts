import type { Finding } from '../../src/contracts/finding.js';
import type { FakeMde, ScriptedResponse } from '../../src/sources/mde/dev/fake-mde-server.js';
import { createScenario, FALLBACK_C2, type Scenario } from '../../src/dev/scenario/index.js';
import { fallbackScenarioAt, ScenarioClock, seconds, stretch, type ChaosScenario } from '../scenario.js';
import { SHORT_SETTLE, Stack, type StackSource } from '../stack.js';
import { allWatching, checkWatches, reachVerdicts } from '../verdicts.js';
import type { VendorProxy } from '../counting-proxy.js';

const WINDOW_MS = 120_000;
/** The recovering source fails from when both watches are polled until this long before their window ends. */
const RECOVERED_BEFORE_END_MS = 30_000;
/** The shortest stretch of failures that counts as sustained. */
const SUSTAINED_MS = 45_000;
/** Every kind of bad answer Graph can give, in turn; the hang outlasts the source's 3 s timeout. */
const FAILURE_CYCLE: ScriptedResponse[] = [
  { status: 429, retryAfterSeconds: 1 },
  { status: 500 },
  { status: 503 },
  { hangMs: 6_000 },
  { body: 'garbage' },
  { body: 'truncated' },
  { drop: true },
];
const LONE_HIGH_SURROGATE = '\uD83D';

/** The implant's command line carries an unpaired surrogate, as a source passing raw UTF-16 through can send it. */
function withLoneSurrogates(base: Scenario): Scenario {
  return {
    ...base,
    connections: (from, to) =>
      base.connections(from, to).map((connection) =>
        connection.dst.ip === FALLBACK_C2.ip ? { ...connection, process: { ...connection.process, cmd_line: `${connection.process.cmd_line} ${LONE_HIGH_SURROGATE}` } } : connection,
      ),
  };
}

/**
 * Keeps the fake's queue of scripted failures topped up for as long as `failing()` holds, so every hunting query meets
 * one of the cycle's bad answers. Resolves with how many were queued.
 */
async function failWhile(fake: FakeMde, proxy: VendorProxy, failing: () => boolean): Promise<number> {
  const arrivedAtStart = proxy.arrived.poll + proxy.arrived.baseline + proxy.arrived.prevalence;
  let queued = 0;
  while (failing()) {
    const consumed = proxy.arrived.poll + proxy.arrived.baseline + proxy.arrived.prevalence - arrivedAtStart;
    if (queued - consumed < 2) {
      fake.failNext(...FAILURE_CYCLE);
      queued += FAILURE_CYCLE.length;
    }
    await stretch(100);
  }
  return queued;
}

/**
 * Two sources on one all-in-one process: `mde-recovering` answers nothing but failures for most of the window and
 * serves an implant whose command line carries lone surrogates; `mde-failing`, benign traffic only, fails from the
 * same moment to the end: with nothing seen to breach it and its telemetry never read to the end, it cannot be held.
 */
export function vendorFailures(log: (line: string) => void): ChaosScenario {
  return {
    name: 'vendor failing',
    expectation: `429, 5xx, hangs past the timeout, garbage, truncated bodies and dropped connections for at least ${SUSTAINED_MS / 1_000} s on one source (its implant's command line carrying lone surrogates) and to the end of the window on another (benign traffic only): 0 crashes; the recovering watch breached with its gap shown, the strings repaired and no finding lost or doubled; the watch whose source never recovers inconclusive (never held) with its gap shown`,
    async run(figures, track) {
      const fields = ['timeout: 3s', 'max_retries: 1', ...SHORT_SETTLE];
      const recovering: StackSource = { id: 'mde-recovering', scenario: new ScenarioClock((blockedAt) => withLoneSurrogates(fallbackScenarioAt(blockedAt))), fields };
      const failing: StackSource = { id: 'mde-failing', scenario: new ScenarioClock((blockedAt) => createScenario('benign', { blockedAt, timeScale: 20 })), fields };
      const stack = track(await Stack.start({ name: 'vendor-failures', sources: [recovering, failing], reporter: 'slack', layout: 'all-in-one' }));
      stack.blockNow();
      const watch = (incident: string, source: StackSource) => ({ incident, source });
      const opened = [watch('INC-V0', recovering), watch('INC-V1', failing)];
      const watches = await Promise.all(
        opened.map(async ({ incident, source }) => ({
          id: await stack.open(stack.request(incident, source, { duration: seconds(WINDOW_MS), poll_interval: '1s' }), incident),
          incident,
          source,
        })),
      );
      await allWatching(stack, watches);
      const [recoveringWatch, failingWatch] = watches;
      const [recoveringFake, failingFake] = stack.fakes;
      const [recoveringProxy, failingProxy] = stack.proxies;
      if (!recoveringWatch || !failingWatch || !recoveringFake || !failingFake || !recoveringProxy || !failingProxy) throw new Error('stack incomplete');

      const failingFrom = Date.now();
      const recoverAt = recovering.scenario.blockedAt.getTime() + WINDOW_MS - RECOVERED_BEFORE_END_MS;
      log('vendor-failures: both sources failing');
      let failingClosed = false;
      const failures = await Promise.all([
        failWhile(recoveringFake, recoveringProxy, () => Date.now() < recoverAt),
        failWhile(failingFake, failingProxy, () => !failingClosed),
        stack.verdict(failingWatch.id, WINDOW_MS + 180_000).finally(() => {
          failingClosed = true;
        }),
      ]);
      figures.atLeast('seconds the recovering source failed', Math.round((recoverAt - failingFrom) / 1_000), SUSTAINED_MS / 1_000);
      figures.atLeast('bad answers queued, recovering source', failures[0], 20);
      figures.atLeast('bad answers queued, failing source', failures[1], 20);

      await checkWatches(figures, stack, [recoveringWatch], 'breached', WINDOW_MS + 180_000, log);
      await reachVerdicts(figures, stack, [failingWatch], 'inconclusive', 60_000, log);
      const [recoveringView, failingView] = await Promise.all([stack.watch(recoveringWatch.id), stack.watch(failingWatch.id)]);
      figures.atLeast('recovering source: outage gaps shown in the coverage', recoveringView.coverage[0]?.gaps.length ?? 0, 1);
      figures.atLeast('failing source: outage gaps shown in the coverage', failingView.coverage[0]?.gaps.length ?? 0, 1);
      const named = (failingView.verdict_reasons ?? []).some((reason) => reason.includes(failing.id));
      figures.exactly('failing source named in the inconclusive verdict', named ? 'yes' : 'no', 'yes');
      const repaired = recoveringView.coverage[0]?.strings_repaired ?? 0;
      figures.atLeast('strings repaired on the recovering source', repaired, 1);
      const fallback = (await stack.findings(recoveringWatch.id)).filter((finding: Finding) => finding.dst.ip === FALLBACK_C2.ip);
      figures.exactly('fallback findings with the command line repaired (U+FFFD)', fallback.filter((finding) => finding.process.cmd_line?.endsWith(' \uFFFD')).length, 1);
    },
  };
}
