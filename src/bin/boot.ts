import { ConfigError, loadConfig, type AppConfig } from '../config/load.js';
import { createLogger, type Logger } from '../lib/logger.js';

/** Loads configuration or stops the process with every problem named. */
export function boot(name: string): { config: AppConfig; logger: Logger } {
  try {
    const config = loadConfig();
    return { config, logger: createLogger({ level: config.env.LOG_LEVEL, name }) };
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

export function fail(logger: Logger, error: unknown): never {
  logger.fatal({ err: error }, 'start-up failed');
  process.exit(1);
}
