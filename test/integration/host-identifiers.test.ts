import { afterEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/contracts/finding.js';
import { Pipeline } from '../helpers/pipeline.js';
import { waitFor } from '../helpers/wait.js';

describe('a watch whose hosts the SOAR gave by IP only (MDE)', () => {
  let pipeline: Pipeline | undefined;
  afterEach(async () => {
    await pipeline?.close();
    pipeline = undefined;
  });

  it('keeps every host’s baseline: none is called invisible, and the fallback channel is found on the host as given', async () => {
    pipeline = await Pipeline.start({ scenario: 'fallback', fallbackAfterMs: 2_000 });
    const hosts = pipeline.scenario.hosts.map((host) => ({ ip: host.ip }));
    const implant = pipeline.scenario.fallback!.host;
    // The fallback beacons every ~7 s: a 14 s window holds at least one of its connections.
    const opened = await pipeline.send(pipeline.request({ hosts, watch: { duration: '14s', poll_interval: '1s', baseline: '7d' } }));
    expect(opened.status).toBe(202);
    const watchId = opened.data.watch_id as string;

    const watching = await waitFor(
      async () => {
        const view = await pipeline!.watch(watchId);
        return view.state === 'watching' && view.coverage.length > 0 ? view : undefined;
      },
      { what: 'baseline' },
    );
    expect(watching.coverage[0]!.hosts_invisible).toEqual([]);

    const view = await pipeline.closed(watchId);
    expect(view.verdict).toBe('breached');
    const { findings } = await pipeline.get<{ findings: Finding[] }>(`/v1/watches/${watchId}/findings`);
    const rundll32 = findings.filter((finding) => finding.process.name.toLowerCase() === 'rundll32.exe');
    expect(rundll32).toHaveLength(1);
    expect(rundll32[0]).toMatchObject({ severity: 'high', host: implant.ip, dst: { ip: '192.0.2.44', port: 8443 } });
  });
});
