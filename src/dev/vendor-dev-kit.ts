import type { ConnectorHarness } from './conformance-harness.js';
import type { DemoSource } from './demo/demo-source.js';

/**
 * Everything development-only about one vendor, exported as `devKit` by `src/sources/<type>/dev/index.ts`: what the
 * conformance suite runs the connector against and what `npm run demo -- --source <type>` plays the scenario through.
 */
export interface VendorDevKit {
  /** The connector's `type`, as in src/sources/registry.ts. */
  type: string;
  harness: ConnectorHarness;
  demoSource: DemoSource;
}
