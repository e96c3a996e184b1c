import type { WatchView } from '../src/contracts/watch.js';
import { waitFor } from '../test/helpers/wait.js';
import type { Figures } from './figures.js';
import { addTallies, jsonlTally, redisTally, slackTally, type Tally } from './ledger.js';
import type { Stack, StackSource } from './stack.js';

/** A watch a scenario opened, with the source whose scenario it watches. */
export interface OpenedWatch {
  id: string;
  incident: string;
  source: StackSource;
}

/** Waits for every watch's verdict (each within `timeoutMs`); records how many reached one, and the expected one. */
export async function reachVerdicts(
  figures: Figures,
  stack: Stack,
  watches: readonly OpenedWatch[],
  expected: WatchView['verdict'],
  timeoutMs: number,
  log: (line: string) => void,
): Promise<(WatchView | undefined)[]> {
  const views = await Promise.all(
    watches.map((watch) =>
      stack.verdict(watch.id, timeoutMs).catch((error: Error) => {
        log(`${watch.incident}: ${error.message}`);
        return undefined;
      }),
    ),
  );
  const label = labelOf(stack, watches);
  figures.exactly(`${label}: watches reaching a verdict`, views.filter(Boolean).length, watches.length);
  figures.exactly(`${label}: watches ${expected}`, views.filter((view) => view?.verdict === expected).length, watches.length);
  for (const view of views) if (view && view.verdict !== expected) log(`${view.incident_id}: ${view.verdict}: ${(view.verdict_reasons ?? []).join('; ')}`);
  return views;
}

/**
 * `reachVerdicts`, then the findings lost or doubled in Redis and in the stack's reporter (Slack or the JSON-lines
 * file), for watches whose source could be read to the end of the window.
 */
export async function checkWatches(
  figures: Figures,
  stack: Stack,
  watches: readonly OpenedWatch[],
  expected: WatchView['verdict'],
  timeoutMs: number,
  log: (line: string) => void,
): Promise<void> {
  const views = await reachVerdicts(figures, stack, watches, expected, timeoutMs, log);
  const redis: Tally[] = [];
  const reporter: Tally[] = [];
  for (const [index, watch] of watches.entries()) {
    const view = views[index];
    if (!view) continue;
    const findings = await stack.findings(watch.id);
    redis.push(redisTally(findings, watch.source.scenario, { from: new Date(view.blocked_at), to: new Date(view.expires_at) }));
    reporter.push(stack.slack ? slackTally(stack, watch.incident, findings) : jsonlTally(stack, watch.id, findings));
  }
  const inRedis = addTallies(redis);
  const published = addTallies(reporter);
  const label = labelOf(stack, watches);
  const where = stack.slack ? 'Slack' : 'JSON lines';
  figures.exactly(`${label}: findings lost in Redis`, inRedis.lost, 0);
  figures.exactly(`${label}: findings duplicated in Redis`, inRedis.duplicated, 0);
  figures.exactly(`${label}: findings lost in ${where}`, published.lost, 0);
  figures.exactly(`${label}: findings duplicated in ${where}`, published.duplicated, 0);
  if (!stack.slack) figures.exactly(`${label}: unreadable JSON lines`, stack.unreadableJsonLines(), 0);
  for (const note of [...inRedis.notes, ...published.notes]) log(note);
}

/** Waits until every watch has its baseline and is being polled. */
export async function allWatching(stack: Stack, watches: readonly OpenedWatch[], timeoutMs = 120_000): Promise<void> {
  await waitFor(
    async () => {
      const views = await Promise.all(watches.map((watch) => stack.watch(watch.id).catch(() => undefined)));
      return views.every((view) => view?.state === 'watching');
    },
    { timeoutMs, everyMs: 250, what: `${stack.options.name}: every watch past its baseline` },
  );
}

/**
 * Nothing half-written: every watch the install holds belongs to an incident a caller opened, and each incident has
 * exactly one.
 */
export async function checkOneWatchPerIncident(figures: Figures, stack: Stack, incidents: readonly string[]): Promise<void> {
  const listed = await stack.allWatches();
  const perIncident = incidents.map((incident) => listed.filter((watch) => watch.incident_id === incident).length);
  figures.exactly(`${stack.options.name}: incidents without exactly one watch`, perIncident.filter((count) => count !== 1).length, 0);
  figures.exactly(`${stack.options.name}: watches nobody opened`, listed.filter((watch) => !incidents.includes(watch.incident_id)).length, 0);
}

const labelOf = (stack: Stack, watches: readonly OpenedWatch[]): string =>
  watches.length === 1 ? `${stack.options.name} ${watches[0]?.incident}` : stack.options.name;
