import { mdeConnector } from './mde/index.js';
import type { ConnectorModule } from './types.js';

/** Every vendor the product can poll. Adding a vendor means adding its folder and one line here. */
const CONNECTORS: readonly ConnectorModule[] = [mdeConnector];

const BY_TYPE = new Map(CONNECTORS.map((connector) => [connector.type, connector]));

export const connectorTypes = (): string[] => [...BY_TYPE.keys()];

export const connectorFor = (type: string): ConnectorModule | undefined => BY_TYPE.get(type);
