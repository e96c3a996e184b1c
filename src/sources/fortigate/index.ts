import type { ConnectorModule } from '../types.js';
import { FortigateConfigSchema, type FortigateConfig } from './config.js';
import { FortigateConnector } from './connector.js';

export { FortigateConfigSchema, type FortigateConfig } from './config.js';

/** Fortinet FortiGate forward-traffic logs (disk, memory or FortiAnalyzer) through the FortiOS REST API. */
export const fortigateConnector: ConnectorModule<FortigateConfig> = {
  type: 'fortigate',
  configSchema: FortigateConfigSchema,
  create: (config, deps) => new FortigateConnector(config, deps),
};
