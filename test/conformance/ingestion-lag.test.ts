import { describe, expect, it } from 'vitest';
import type { ConnectionEvent } from '../../src/contracts/connection-event.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createScenario, type Scenario } from '../../src/dev/scenario/index.js';
import { connectorFor } from '../../src/sources/registry.js';
import type { HostRef, TimeRangeQuery } from '../../src/sources/types.js';
import { loadVendorDevKits } from '../../src/dev/vendors.js';
import type { ConnectorHarness } from '../../src/dev/conformance-harness.js';

/** Every vendor fake can play late telemetry: an event becomes visible `ingestionDelayMs` after its time. */
const harnesses: ConnectorHarness[] = (await loadVendorDevKits()).map((kit) => kit.harness);

/** What the harness's connector returns for `query` from its fake playing `scenario`, and the connector's settings. */
async function readAll(
  harness: ConnectorHarness,
  scenario: Scenario,
  ingestionDelayMs: number,
  query: TimeRangeQuery,
): Promise<ConnectionEvent[] & { ingestionOverlapMs?: number }> {
  const { fake, config } = await harness.start(scenario, { pageSize: 1_000, ingestionDelayMs });
  const module = connectorFor(harness.type)!;
  const connector = module.create(module.configSchema.parse(config), { logger: silentLogger() });
  try {
    return Object.assign(await connector.fetchConnections(query), { ingestionOverlapMs: connector.ingestionOverlapMs });
  } finally {
    await connector.close();
    await fake.close();
  }
}

const LAG_MS = 2 * 60_000;

describe.each(harnesses.map((harness) => [harness.type, harness] as const))('%s fake: ingestion lag', (_type, harness) => {
  it('serves an event only once the lag has passed since its time, and every older one', async () => {
    const blockedAt = new Date(Date.now() - 5 * 60_000);
    // The implant retries the blocked address every ~5 s from the block on: the last two minutes are never empty.
    const scenario = createScenario('fallback', { blockedAt, fallbackAfterMs: 30_000 });
    const hosts: HostRef[] = scenario.hosts.map((host) => ({ hostname: host.hostname, ip: host.ip }));
    const read = (ingestionDelayMs: number) => readAll(harness, scenario, ingestionDelayMs, { hosts, from: blockedAt, to: new Date(Date.now() + 60_000) });

    const asked = Date.now();
    const prompt = await read(0);
    const lagged = await read(LAG_MS);
    const answered = Date.now();

    expect(lagged.every((event) => event.time <= answered - LAG_MS)).toBe(true);
    const settled = (events: readonly ConnectionEvent[]) => events.filter((event) => event.time <= asked - LAG_MS).map((event) => event.id).sort();
    expect(settled(lagged)).toEqual(settled(prompt));
    expect(settled(lagged).length).toBeGreaterThan(0);
    expect(prompt.some((event) => event.time > answered - LAG_MS)).toBe(true);
  });

  it('returns every event of a range that ended before the lag passed, once it has (as the close reads after settle)', async () => {
    const blockedAt = new Date(Date.now() - 5 * 60_000);
    const scenario = createScenario('fallback', { blockedAt, fallbackAfterMs: 30_000 });
    const hosts: HostRef[] = scenario.hosts.map((host) => ({ hostname: host.hostname, ip: host.ip }));
    // The range's last LAG_MS were ingested after it ended; all of it is ingested by now.
    const range = { hosts, from: blockedAt, to: new Date(Date.now() - LAG_MS - 5_000) };

    const prompt = await readAll(harness, scenario, 0, range);
    const lagged = await readAll(harness, scenario, LAG_MS, range);

    const ids = (events: readonly ConnectionEvent[]) => events.map((event) => event.id).sort();
    expect(lagged.some((event) => event.time >= range.to.getTime() - LAG_MS)).toBe(true);
    expect(ids(lagged)).toEqual(ids(prompt));
  });

  it('of a range an earlier read covered, returns what it ingested since if it reads by ingestion time, else all of it', async () => {
    const blockedAt = new Date(Date.now() - 5 * 60_000);
    const scenario = createScenario('fallback', { blockedAt, fallbackAfterMs: 30_000 });
    const hosts: HostRef[] = scenario.hosts.map((host) => ({ hostname: host.hostname, ip: host.ip }));
    // Ending LAG_MS and more ago, so every event of the range is ingested (visible) in both reads, LAG_MS after its time.
    const range = { hosts, from: blockedAt, to: new Date(Date.now() - LAG_MS - 5_000) };
    const whole = await readAll(harness, scenario, LAG_MS, range);
    const covered = { until: new Date(blockedAt.getTime() + 2 * 60_000), ingestedSince: new Date(blockedAt.getTime() + 60_000 + LAG_MS) };
    const reread = await readAll(harness, scenario, LAG_MS, { ...range, covered });

    const ids = (events: readonly ConnectionEvent[]) => events.map((event) => event.id).sort();
    if (whole.ingestionOverlapMs === undefined) {
      expect(ids(reread)).toEqual(ids(whole));
      return;
    }
    // Nothing ingested since, nor anything from `until` on, is left out; what was covered and ingested before is,
    // give or take the second a vendor's whole-second stamps round to.
    const since = whole.filter((event) => event.time >= covered.until.getTime() || event.time + LAG_MS >= covered.ingestedSince.getTime());
    const spared = whole.filter((event) => event.time < covered.until.getTime() - 1_000 && event.time + LAG_MS < covered.ingestedSince.getTime() - 1_000);
    expect(since.some((event) => event.time < covered.until.getTime())).toBe(true);
    expect(spared.length).toBeGreaterThan(0);
    const returned = new Set(ids(reread));
    expect(ids(since).filter((id) => !returned.has(id))).toEqual([]);
    expect(spared.filter((event) => returned.has(event.id))).toEqual([]);
    expect(reread.every((event) => whole.some((read) => read.id === event.id))).toBe(true);
  });
});
