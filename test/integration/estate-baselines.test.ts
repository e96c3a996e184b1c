import { afterEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/contracts/finding.js';
import type { WatchView } from '../../src/contracts/watch.js';
import { FALLBACK_C2, type Scenario, type SimConnection, type SimHost } from '../../src/dev/scenario/index.js';
import { BASELINE_COLUMNS } from '../../src/sources/mde/kql.js';
import { Pipeline } from '../helpers/pipeline.js';
import { waitFor } from '../helpers/wait.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SOURCE = 'mde-prod';

/**
 * `hostname` sends nothing in the last `beforeMs` before the block, and its last connection is exactly `beforeMs`
 * before it: the background's own slots fall wherever the wall clock puts them, and would make it 3d one run, 73h the next.
 */
function lastHeardBeforeBlock(hostname: string, beforeMs: number) {
  return (base: Scenario): Scenario => {
    const host = base.hosts.find((candidate) => candidate.hostname === hostname);
    if (!host) throw new Error(`the scenario has no ${hostname}`);
    const lastHeard = base.blockedAt.getTime() - beforeMs;
    const last: SimConnection = {
      id: `last-heard-${hostname}`,
      host,
      time: lastHeard,
      process: {
        name: 'svchost.exe',
        path: 'C:\\Windows\\System32\\svchost.exe',
        cmd_line: 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s gpsvc',
        sha1: 'cd'.repeat(20),
        pid: 1_204,
        user: 'NT AUTHORITY\\SYSTEM',
        parent: 'services.exe',
      },
      dst: { ip: '10.20.0.10', port: 389 },
      protocol: 'tcp',
      outcome: 'success',
    };
    const connections = (from: Date, to: Date): SimConnection[] => {
      const kept = base.connections(from, to).filter((connection) => connection.host.hostname !== hostname || connection.time < lastHeard);
      const inRange = from.getTime() <= lastHeard && lastHeard < to.getTime();
      return (inRange ? [...kept, last] : kept).sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    };
    return { ...base, connections };
  };
}

/** `count` servers the watch never names, each talking to an internal service on the fallback's port every hour. */
function withEstate(count: number, port: number) {
  return (base: Scenario): Scenario => {
    const hosts: SimHost[] = Array.from({ length: count }, (_, index) => ({
      hostname: `OPS-SRV-${100 + index}`,
      fqdn: `ops-srv-${100 + index}.corp.example`,
      ip: `10.30.0.${index + 1}`,
      device_id: (index + 1).toString(16).padStart(40, 'e'),
    }));
    const connections = (from: Date, to: Date): SimConnection[] => {
      const estate: SimConnection[] = [];
      for (let time = Math.ceil(from.getTime() / HOUR) * HOUR; time < to.getTime(); time += HOUR) {
        for (const host of hosts) {
          if (time >= base.blockedAt.getTime()) continue;
          estate.push({
            id: `estate-${host.hostname}-${time}`,
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
            dst: { ip: '10.30.9.9', port },
            protocol: 'tcp',
            outcome: 'success',
          });
        }
      }
      return [...base.connections(from, to), ...estate].sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    };
    return { ...base, connections };
  };
}

const coverageOf = (view: WatchView) => {
  const coverage = view.coverage.find((source) => source.source === SOURCE);
  if (!coverage) throw new Error(`no coverage for ${SOURCE}`);
  return coverage;
};

describe('baselines beyond one watch', () => {
  let pipeline: Pipeline | undefined;
  afterEach(async () => {
    await pipeline?.close();
    pipeline = undefined;
  });

  const watching = (id: string) =>
    waitFor(
      async () => {
        const view = await pipeline!.watch(id);
        return view.state === 'watching' ? view : undefined;
      },
      { what: `watch ${id} to start watching` },
    );
  const baselineQueries = () => pipeline!.mde.requests.filter((request) => request.raw.includes(BASELINE_COLUMNS.count)).length;

  it('a second incident on the same hosts reuses their baseline: no new baseline query, and the coverage says whose it was', async () => {
    pipeline = await Pipeline.start({ scenario: 'benign' });
    const first = await pipeline.send(pipeline.request({ incident_id: 'INC-1', action_id: 'first', watch: { duration: '1h', poll_interval: '30s', baseline: '7d' } }));
    const firstView = await watching(first.data.watch_id);
    expect(coverageOf(firstView).baseline_reused).toBeUndefined();
    const queried = baselineQueries();
    expect(queried).toBeGreaterThan(0);

    const second = await pipeline.send(pipeline.request({ incident_id: 'INC-2', action_id: 'second', watch: { duration: '1h', poll_interval: '30s', baseline: '3d' } }));
    const secondView = await watching(second.data.watch_id);
    expect(baselineQueries()).toBe(queried);
    const reused = coverageOf(secondView).baseline_reused ?? [];
    expect(reused.map((entry) => entry.host).sort()).toEqual(pipeline.scenario.hosts.map((host) => host.hostname).sort());
    expect(reused.every((entry) => Date.parse(entry.taken_at) <= Date.now())).toBe(true);
    expect(secondView.hosts.every((host) => host.baseline === 'ready')).toBe(true);
    expect(await pipeline.get<string>(`/v1/watches/${secondView.id}/report?format=md`)).toMatch(
      /## Baseline\n\n- mde-prod: baseline of FIN-WS-04\d \(taken [^)]+\), .* reused from an earlier watch/,
    );

    const longer = await pipeline.send(pipeline.request({ incident_id: 'INC-3', action_id: 'third', watch: { duration: '1h', poll_interval: '30s', baseline: '14d' } }));
    const longerView = await watching(longer.data.watch_id);
    expect(baselineQueries()).toBeGreaterThan(queried);
    expect(coverageOf(longerView).baseline_reused).toBeUndefined();
  });

  it('judges the fallback port against the whole estate: seen on none of its hosts, the reason counts them all', async () => {
    pipeline = await Pipeline.start({ scenario: 'fallback', extendScenario: withEstate(40, 9443) });
    const opened = await pipeline.send(pipeline.request({ watch: { duration: '1h', poll_interval: '1s', baseline: '7d' } }));
    const view = await pipeline.closeAfter(opened.data.watch_id, 14_000);
    expect(coverageOf(view).prevalence).toMatchObject({ status: 'used', host_count: 43, partial: false, to: pipeline.blockedAt.toISOString() });
    const { findings } = await pipeline.get<{ findings: Finding[] }>(`/v1/watches/${view.id}/findings`);
    const fallback = findings.find((finding) => finding.dst.port === FALLBACK_C2.port);
    expect(fallback?.kind).toContain('uncommon_port');
    expect(fallback?.reasons).toContain(`port ${FALLBACK_C2.port}/tcp was seen on 0 of 43 hosts in the baseline`);
    expect(await pipeline.get<string>(`/v1/watches/${view.id}/report?format=md`)).toContain(
      `- mde-prod: ports and destinations judged against the 43 hosts it saw from ${new Date(pipeline.blockedAt.getTime() - 7 * 24 * HOUR).toISOString()} to ${pipeline.blockedAt.toISOString()}`,
    );
  });

  it('a port the estate uses widely is not uncommon, though none of the watched hosts used it', async () => {
    pipeline = await Pipeline.start({ scenario: 'fallback', extendScenario: withEstate(40, FALLBACK_C2.port) });
    const opened = await pipeline.send(pipeline.request({ watch: { duration: '1h', poll_interval: '1s', baseline: '7d' } }));
    const view = await pipeline.closeAfter(opened.data.watch_id, 14_000);
    const { findings } = await pipeline.get<{ findings: Finding[] }>(`/v1/watches/${view.id}/findings`);
    const fallback = findings.find((finding) => finding.dst.port === FALLBACK_C2.port);
    expect(fallback?.kind).toEqual(expect.arrayContaining(['quiet_process', 'new_destination']));
    expect(fallback?.kind).not.toContain('uncommon_port');
    expect(view.verdict).toBe('breached');
  });

  it('names a host the source last heard from days before the block: the watch may never see it', async () => {
    pipeline = await Pipeline.start({ scenario: 'benign', extendScenario: lastHeardBeforeBlock('FIN-WS-043', 3 * DAY) });
    const opened = await pipeline.send(pipeline.request({ watch: { duration: '1h', poll_interval: '30s', baseline: '7d' } }));
    const view = await watching(opened.data.watch_id);
    expect(coverageOf(view).hosts_invisible).toEqual([
      { host: 'FIN-WS-043', reason: `last telemetry from this source ${new Date(pipeline.blockedAt.getTime() - 3 * DAY).toISOString()}, 3d before the block` },
    ]);
  });

  it('refreshes each source on a schedule and does not re-read it when another worker starts', async () => {
    pipeline = await Pipeline.start({ scenario: 'benign' });
    const store = pipeline.workers[0]!.parts.baselines.prevalence;
    const [read] = await waitFor(async () => {
      const reads = await store.list(SOURCE);
      return reads.length > 0 ? reads : undefined;
    });
    expect(read!.host_count).toBe(3);
    await pipeline.startWorker();
    // The new worker has scheduled the refresh again: once every refresh that came due has run, none read the source.
    await pipeline.refreshesDone();
    expect(await store.list(SOURCE)).toHaveLength(1);
  });
});
