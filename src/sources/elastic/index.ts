import type { ConnectorModule } from '../types.js';
import { ElasticConfigSchema, type ElasticConfig } from './config.js';
import { ElasticConnector } from './connector.js';

export { ElasticConfigSchema, DEFAULT_INDICES, type ElasticConfig } from './config.js';

/** Elastic Security: Elastic Defend and Sysmon (Windows integration) network events in Elasticsearch. */
export const elasticConnector: ConnectorModule<ElasticConfig> = {
  type: 'elastic',
  configSchema: ElasticConfigSchema,
  create: (config, deps) => new ElasticConnector(config, deps),
};
