import type { ConnectorModule } from '../types.js';
import { SentineloneConfigSchema, type SentineloneConfig } from './config.js';
import { SentineloneConnector } from './connector.js';

export { SentineloneConfigSchema, type SentineloneConfig } from './config.js';

/** SentinelOne Singularity through Deep Visibility queries. */
export const sentineloneConnector: ConnectorModule<SentineloneConfig> = {
  type: 'sentinelone',
  configSchema: SentineloneConfigSchema,
  create: (config, deps) => new SentineloneConnector(config, deps),
};
