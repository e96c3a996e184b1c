import type { ConnectorModule } from '../types.js';
import { CrowdstrikeConfigSchema, type CrowdstrikeConfig } from './config.js';
import { CrowdstrikeConnector } from './connector.js';

export { CrowdstrikeConfigSchema, FALCON_CLOUDS, type CrowdstrikeConfig } from './config.js';

/** CrowdStrike Falcon: hosts through the Hosts API, network events through Next-Gen SIEM query jobs. */
export const crowdstrikeConnector: ConnectorModule<CrowdstrikeConfig> = {
  type: 'crowdstrike',
  configSchema: CrowdstrikeConfigSchema,
  create: (config, deps) => new CrowdstrikeConnector(config, deps),
};
