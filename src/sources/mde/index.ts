import type { ConnectorModule } from '../types.js';
import { MdeConfigSchema, type MdeConfig } from './config.js';
import { MdeConnector } from './connector.js';

export { MdeConfigSchema, type MdeConfig } from './config.js';

/** Microsoft Defender for Endpoint through Microsoft Graph advanced hunting. */
export const mdeConnector: ConnectorModule<MdeConfig> = {
  type: 'mde',
  configSchema: MdeConfigSchema,
  create: (config, deps) => new MdeConnector(config, deps),
};
