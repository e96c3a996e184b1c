import type { ConnectorModule } from '../types.js';
import { PanosConfigSchema, type PanosConfig } from './config.js';
import { PanosConnector } from './connector.js';

export { PanosConfigSchema, type PanosConfig } from './config.js';

/** Palo Alto Networks PAN-OS (firewall or Panorama) traffic logs through the XML API. */
export const panosConnector: ConnectorModule<PanosConfig> = {
  type: 'panos',
  configSchema: PanosConfigSchema,
  create: (config, deps) => new PanosConnector(config, deps),
};
