import { describe, expect, it } from 'vitest';
import { loadVendorDevKits } from '../../src/dev/vendors.js';
import { connectorTypes } from '../../src/sources/registry.js';

describe('vendor dev kits, loaded from the connector registry', () => {
  it('gives every registered vendor, in the registry order, a harness and a demo source of its own type', async () => {
    const kits = await loadVendorDevKits();

    expect(kits.map((kit) => kit.type)).toEqual(connectorTypes());
    for (const kit of kits) {
      expect([kit.harness.type, kit.demoSource.type]).toEqual([kit.type, kit.type]);
    }
  });

  it('fails naming a registered vendor that has no dev kit, so the conformance suite cannot skip it', async () => {
    await expect(loadVendorDevKits(['mde', 'no-such-vendor'])).rejects.toThrow(
      'vendor "no-such-vendor" is registered but has no dev kit: create src/sources/no-such-vendor/dev/index.ts',
    );
  });
});
