import { closeOnSignals, startApi } from '../runtime/services.js';
import { boot, fail } from './boot.js';

const { config, logger } = boot('containment-watch-api');
try {
  closeOnSignals([await startApi(config, logger)], logger);
} catch (error) {
  fail(logger, error);
}
