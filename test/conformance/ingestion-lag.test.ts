import { describe, expect, it } from 'vitest';
import type { ConnectionEvent } from '../../src/contracts/connection-event.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createScenario } from '../../src/dev/scenario/index.js';
import { connectorFor } from '../../src/sources/registry.js';
import type { HostRef } from '../../src/sources/types.js';
import { loadVendorDevKits } from '../../src/dev/vendors.js';
import type { ConnectorHarness } from '../../src/dev/conformance-harness.js';

/** Every vendor fake can play late telemetry: an event becomes visible `ingestionDelayMs` after its time. */
const harnesses: ConnectorHarness[] = (await loadVendorDevKits()).map((kit) => kit.harness);

const LAG_MS = 2 * 60_000;

describe.each(harnesses.map((harness) => [harness.type, harness] as const))('%s fake: ingestion lag', (_type, harness) => {
  it('serves an event only once the lag has passed since its time, and every older one', async () => {
    const blockedAt = new Date(Date.now() - 5 * 60_000);
    // The implant retries the blocked address every ~5 s from the block on: the last two minutes are never empty.
    const scenario = createScenario('fallback', { blockedAt, fallbackAfterMs: 30_000 });
    const hosts: HostRef[] = scenario.hosts.map((host) => ({ hostname: host.hostname, ip: host.ip }));
    const read = async (ingestionDelayMs: number): Promise<ConnectionEvent[]> => {
      const { fake, config } = await harness.start(scenario, { pageSize: 1_000, ingestionDelayMs });
      const module = connectorFor(harness.type)!;
      const connector = module.create(module.configSchema.parse(config), { logger: silentLogger() });
      try {
        return await connector.fetchConnections({ hosts, from: blockedAt, to: new Date(Date.now() + 60_000) });
      } finally {
        await connector.close();
        await fake.close();
      }
    };

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
});
