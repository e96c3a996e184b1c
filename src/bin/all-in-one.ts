import { createMetrics } from '../lib/metrics.js';
import { closeOnSignals, startApi, startWorker } from '../runtime/services.js';
import { boot, fail } from './boot.js';

/** API and worker in one process, for small installs. */
const { config, logger } = boot('containment-watch');
try {
  const metrics = createMetrics();
  const api = await startApi(config, logger, metrics);
  const worker = await startWorker(config, logger, { metrics });
  closeOnSignals([api, worker], logger);
} catch (error) {
  fail(logger, error);
}
