import { closeOnSignals, startWorker } from '../runtime/services.js';
import { boot, fail } from './boot.js';

const { config, logger } = boot('containment-watch-worker');
try {
  closeOnSignals([await startWorker(config, logger)], logger);
} catch (error) {
  fail(logger, error);
}
