import type { ConnectorModule } from '../types.js';
import { SplunkConfigSchema, type SplunkConfig } from './config.js';
import { SplunkConnector } from './connector.js';

export { SplunkConfigSchema, type SplunkConfig } from './config.js';
export { SYSMON_FIELDS } from './spl.js';

/** Splunk (Sysmon Event ID 3 or any search yielding its fields) through the search jobs REST API. */
export const splunkConnector: ConnectorModule<SplunkConfig> = {
  type: 'splunk',
  configSchema: SplunkConfigSchema,
  create: (config, deps) => new SplunkConnector(config, deps),
};
