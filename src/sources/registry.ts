import { crowdstrikeConnector } from './crowdstrike/index.js';
import { elasticConnector } from './elastic/index.js';
import { fortigateConnector } from './fortigate/index.js';
import { mdeConnector } from './mde/index.js';
import { panosConnector } from './panos/index.js';
import { sentineloneConnector } from './sentinelone/index.js';
import { splunkConnector } from './splunk/index.js';
import type { ConnectorModule } from './types.js';

/** Every vendor the product can poll. Adding a vendor means adding its folder and one line here. */
const CONNECTORS: readonly ConnectorModule[] = [
  mdeConnector,
  crowdstrikeConnector,
  sentineloneConnector,
  elasticConnector,
  splunkConnector,
  panosConnector,
  fortigateConnector,
];

const BY_TYPE = new Map(CONNECTORS.map((connector) => [connector.type, connector]));

export const connectorTypes = (): string[] => [...BY_TYPE.keys()];

export const connectorFor = (type: string): ConnectorModule | undefined => BY_TYPE.get(type);
