import { afterEach, describe, expect, it } from 'vitest';
import type { WatchView } from '../../src/contracts/watch.js';
import type { BaselineSnapshot } from '../../src/detect/baseline.js';
import type { Scenario, SimConnection, SimHost } from '../../src/dev/scenario/index.js';
import { BASELINE_COLUMNS } from '../../src/sources/mde/kql.js';
import { baselineJobId } from '../../src/queue/queues.js';
import { Pipeline } from '../helpers/pipeline.js';
import { waitFor } from '../helpers/wait.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const WATCHES = 20;
const HOSTS_PER_WATCH = 5;
const BATCH = 50;
const SOURCE = 'mde-prod';
const EXPECTED_QUERIES = Math.ceil((WATCHES * HOSTS_PER_WATCH) / BATCH);

/** Servers beside the scenario's workstations, each talking to one internal service, before the block and during the window. */
function withServers(count: number) {
  return (base: Scenario): Scenario => {
    const servers: SimHost[] = Array.from({ length: count }, (_, index) => ({
      hostname: `APP-SRV-${100 + index}`,
      fqdn: `app-srv-${100 + index}.corp.example`,
      ip: `10.20.7.${index + 1}`,
      device_id: (index + 1).toString(16).padStart(40, 'c'),
    }));
    const blockedAt = base.blockedAt.getTime();
    const connection = (host: SimHost, time: number): SimConnection => ({
      id: `app-${host.hostname}-${time}`,
      host,
      time,
      process: {
        name: 'java.exe',
        path: 'C:\\Program Files\\Tomcat\\bin\\java.exe',
        cmd_line: 'java.exe -jar app.jar',
        sha1: 'ab'.repeat(20),
        pid: 4_100,
        user: 'NT AUTHORITY\\SYSTEM',
        parent: 'services.exe',
      },
      dst: { ip: '10.20.9.9', port: 8080 },
      protocol: 'tcp',
      outcome: 'success',
    });
    const connections = (from: Date, to: Date): SimConnection[] => {
      const extra: SimConnection[] = [];
      // Half-hourly before the block (the baseline), every two seconds after it (the window).
      const times: number[] = [];
      for (let time = Math.ceil(from.getTime() / (HOUR / 2)) * (HOUR / 2); time < Math.min(to.getTime(), blockedAt); time += HOUR / 2) times.push(time);
      for (let time = Math.max(blockedAt, Math.ceil(from.getTime() / 2_000) * 2_000); time < to.getTime(); time += 2_000) times.push(time);
      for (const time of times) for (const host of servers) extra.push(connection(host, time));
      return [...base.connections(from, to), ...extra].sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    };
    return { ...base, hosts: [...base.hosts, ...servers], connections };
  };
}

/** What a baseline holds of the watch's own hosts (the estate's part is another read's, shared or embedded). */
const ownPart = (snapshot: BaselineSnapshot | undefined) =>
  snapshot && { window: snapshot.window, event_count: snapshot.event_count, excluded_rows: snapshot.excluded_rows, hosts: snapshot.hosts };

/** Arrays sorted, so two snapshots built from the same rows in another order compare equal. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, canonical(inner)]));
  return value;
}

describe('baselines and closes of watches opened together', () => {
  let pipeline: Pipeline | undefined;
  afterEach(async () => {
    await pipeline?.close();
    pipeline = undefined;
  });

  const start = (sourceYaml = '') =>
    Pipeline.start({
      scenario: 'fallback',
      sourceYaml: `    max_hosts_per_query: ${BATCH}\n${sourceYaml}`,
      // Every watch reads its own rows: a baseline taken alone must not come from the cache the batched ones filled.
      extraYaml: 'baselines:\n  reuse: false\n',
      extendScenario: withServers(WATCHES * HOSTS_PER_WATCH - 3),
    });

  /** Watch i's five hosts: the scenario's workstations (the implant among them) go to watch 0. */
  const hostsOf = (index: number) =>
    pipeline!.scenario.hosts.slice(index * HOSTS_PER_WATCH, (index + 1) * HOSTS_PER_WATCH).map(({ hostname, ip }) => ({ hostname, ip }));

  const requestOf = (run: string, index: number, watch: Record<string, string>) =>
    pipeline!.request({ incident_id: `INC-${run}-${index}`, action_id: `${run}-${index}`, hosts: hostsOf(index), watch });

  const until = (id: string, state: 'watching' | 'closed') =>
    waitFor(
      async () => {
        const view = await pipeline!.watch(id);
        return view.state === state && (state === 'watching' || view.verdict !== undefined) ? view : undefined;
      },
      { what: `watch ${id} to be ${state}`, timeoutMs: 90_000 },
    );

  const baselineQueries = () => pipeline!.mde.requests.filter((request) => request.raw.includes(BASELINE_COLUMNS.count)).length;
  const rowQueriesSince = (at: number) => pipeline!.mde.requests.filter((request) => request.query?.kind === 'rows' && request.at >= at).length;
  const parts = () => pipeline!.workers[0]!.parts;

  async function openTogether(run: string, watch: Record<string, string>): Promise<string[]> {
    const responses = await Promise.all(Array.from({ length: WATCHES }, (_, index) => pipeline!.send(requestOf(run, index, watch))));
    return responses.map((response) => (response.data as { watch_id: string }).watch_id);
  }

  it(`opening ${WATCHES} watches of ${HOSTS_PER_WATCH} hosts at once reads their baselines in batches across the watches, each watch's baseline as if taken alone`, async () => {
    pipeline = await start();
    const watch = { duration: '1h', poll_interval: '30s', baseline: '1d' };
    const before = baselineQueries();
    const together = await openTogether('A', watch);
    await Promise.all(together.map((id) => until(id, 'watching')));
    const batched = baselineQueries() - before;
    expect(batched, `${batched} baseline queries for ${WATCHES} watches`).toBeLessThanOrEqual(EXPECTED_QUERIES + 1);

    const alone: string[] = [];
    const beforeAlone = baselineQueries();
    for (let index = 0; index < WATCHES; index += 1) {
      const response = await pipeline.send(requestOf('B', index, watch));
      const id = (response.data as { watch_id: string }).watch_id;
      await until(id, 'watching');
      alone.push(id);
    }
    expect(baselineQueries() - beforeAlone, 'one query per watch taken alone').toBe(WATCHES);

    for (let index = 0; index < WATCHES; index += 1) {
      const [mine, reference] = await Promise.all([parts().store.baseline(together[index]!), parts().store.baseline(alone[index]!)]);
      expect(mine?.hosts.length, `watch ${index} has a baseline of each host`).toBe(HOSTS_PER_WATCH);
      expect(canonical(ownPart(mine)), `watch ${index}'s baseline`).toEqual(canonical(ownPart(reference)));
      const [mineView, referenceView] = await Promise.all([pipeline.watch(together[index]!), pipeline.watch(alone[index]!)]);
      const invisible = (view: WatchView) => view.coverage.find((health) => health.source === SOURCE)?.hosts_invisible;
      expect(invisible(mineView)).toEqual(invisible(referenceView));
    }
  });

  it(`${WATCHES} watches whose windows end together get one look per batch of hosts, and the findings and verdicts of closing each alone`, async () => {
    pipeline = await start();
    // Polls are far apart: what is read after the window's end is the closes' own look.
    const together = await openTogether('A', { duration: '20s', poll_interval: '10m', baseline: '1d' });
    const views = await Promise.all(together.map((id) => until(id, 'watching')));
    const expiresAt = Math.min(...views.map((view) => Date.parse(view.expires_at)));
    expect(new Set(views.map((view) => view.expires_at)).size, 'one window end').toBe(1);
    const closed = await Promise.all(together.map((id) => until(id, 'closed')));
    const looks = rowQueriesSince(expiresAt);
    expect(looks, `${looks} final-look queries for ${WATCHES} closes`).toBeLessThanOrEqual(EXPECTED_QUERIES + 1);
    expect(closed[0]!.verdict).toBe('breached');

    // The same windows, each watch opened (and so closed) on its own once the others are closed.
    for (let index = 0; index < WATCHES; index += 1) {
      const response = await pipeline.send(requestOf('B', index, { duration: '20s', poll_interval: '1s', baseline: '1d' }));
      const alone = await until((response.data as { watch_id: string }).watch_id, 'closed');
      expect(alone.expires_at).toBe(closed[index]!.expires_at);
      expect({ verdict: alone.verdict, reasons: alone.verdict_reasons }, `watch ${index}'s verdict`).toEqual({
        verdict: closed[index]!.verdict,
        reasons: closed[index]!.verdict_reasons,
      });
      const findingsOf = async (id: string) =>
        canonical((await parts().findings.list(id)).map(({ host, process, dst, protocol, kind, severity, connected, first_seen }) => ({ host, process, dst, protocol, kind, severity, connected, first_seen })));
      expect(await findingsOf(alone.id), `watch ${index}'s findings`).toEqual(await findingsOf(closed[index]!.id));
    }
  });

  it('a baseline read failing for the watches read together fails only the job that read it: every watch still gets its baseline through its own job', async () => {
    pipeline = await start('    max_retries: 0\n');
    pipeline.mde.failNext({ status: 500 }, { status: 500 });
    const together = await openTogether('A', { duration: '1h', poll_interval: '30s', baseline: '1d' });
    const views = await Promise.all(together.map((id) => until(id, 'watching')));
    const failed = pipeline.mde.requests.filter((request) => request.status === 500);
    expect(failed.map((request) => request.raw.includes(BASELINE_COLUMNS.count))).toEqual([true, true]);
    for (const view of views) {
      expect(view.hosts.map((host) => host.baseline)).toEqual(Array(HOSTS_PER_WATCH).fill('ready'));
      expect(view.coverage.find((health) => health.source === SOURCE)?.gaps).toEqual([]);
    }
    // A job whose read failed waits out its retry backoff (the others' read may have baselined its watches by then),
    // then completes on its own.
    const { queues } = parts();
    const states = async () => Promise.all(views.map(async (view) => (await queues.lifecycleJob(baselineJobId((await parts().store.get(view.id))!))).state));
    await waitFor(async () => (await states()).every((state) => state === 'completed'), { what: 'every baseline job to complete' }).catch(async (error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify(await states())}`);
    });
  });
});
