import { existsSync } from 'node:fs';
import { connectorTypes } from '../sources/registry.js';
import type { VendorDevKit } from './vendor-dev-kit.js';

const devKitUrl = (type: string) => new URL(`../sources/${type}/dev/index.ts`, import.meta.url);

/**
 * The dev kit of every vendor in `types` (by default every registered one, in the registry's order). A registered
 * vendor without a kit, or with a kit for another type, fails here by name: the conformance suite and the demo
 * cannot silently leave it out.
 */
export async function loadVendorDevKits(types: readonly string[] = connectorTypes()): Promise<VendorDevKit[]> {
  const kits: VendorDevKit[] = [];
  for (const type of types) {
    const url = devKitUrl(type);
    if (!existsSync(url)) throw new Error(`vendor "${type}" is registered but has no dev kit: create src/sources/${type}/dev/index.ts exporting devKit`);
    const { devKit } = (await import(url.href)) as { devKit?: VendorDevKit };
    if (!devKit) throw new Error(`vendor "${type}": src/sources/${type}/dev/index.ts does not export devKit`);
    const claimed = [devKit.type, devKit.harness.type, devKit.demoSource.type].filter((claim) => claim !== type);
    if (claimed.length > 0) throw new Error(`vendor "${type}": its dev kit is for "${claimed[0]}"`);
    kits.push(devKit);
  }
  return kits;
}
