import type { ConnectorModule } from './types.js';

/**
 * Every vendor the product can poll, one line each. Adding a vendor means adding its folder (the connector, and in
 * `dev/` the kit the conformance suite and the demo find by its type) and its line here.
 */
const CONNECTORS: readonly ConnectorModule[] = [
  (await import('./mde/index.js')).mdeConnector,
  (await import('./crowdstrike/index.js')).crowdstrikeConnector,
  (await import('./sentinelone/index.js')).sentineloneConnector,
  (await import('./elastic/index.js')).elasticConnector,
  (await import('./splunk/index.js')).splunkConnector,
  (await import('./panos/index.js')).panosConnector,
  (await import('./fortigate/index.js')).fortigateConnector,
];

const BY_TYPE = new Map(CONNECTORS.map((connector) => [connector.type, connector]));

export const connectorTypes = (): string[] => [...BY_TYPE.keys()];

export const connectorFor = (type: string): ConnectorModule | undefined => BY_TYPE.get(type);
