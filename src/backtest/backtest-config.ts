import { ConfigError, loadConfig } from '../config/load.js';
import { WatchDefaultsSchema } from '../config/file-schema.js';
import { parseDuration } from '../contracts/duration.js';
import { DetectionSettingsSchema, type DetectionSettings } from '../detect/settings.js';
import { InputError } from './input-error.js';
import type { WatchDefaults } from './watch-of.js';

export interface BacktestConfig {
  detection: DetectionSettings;
  defaults: WatchDefaults;
}

function defaultsOf(raw: { duration: string; poll_interval: string; baseline: string }): WatchDefaults {
  return {
    durationMs: parseDuration(raw.duration) ?? 0,
    pollIntervalMs: parseDuration(raw.poll_interval) ?? 0,
    baselineMs: parseDuration(raw.baseline) ?? 0,
  };
}

/**
 * Detection settings and watch defaults: from `--config` through the service's own loader (so a file the service
 * accepts is a file the backtest accepts, `${VAR}` included), else the built-in defaults. The mapping mirrors
 * `detectionSettingsOf` in runtime/build.ts, which is not imported: it would load Redis, BullMQ and Slack.
 */
export function loadBacktestConfig(path: string | undefined, env: NodeJS.ProcessEnv): BacktestConfig {
  if (path === undefined) {
    return { detection: DetectionSettingsSchema.parse({}), defaults: defaultsOf(WatchDefaultsSchema.parse({})) };
  }
  try {
    const config = loadConfig({ ...env, CW_CONFIG: path });
    return {
      detection: DetectionSettingsSchema.parse({
        allow: config.file.allow,
        networks: config.file.networks,
        ports: config.file.ports,
        tuning: config.file.detection,
      }),
      defaults: { durationMs: config.defaults.durationMs, pollIntervalMs: config.defaults.pollIntervalMs, baselineMs: config.defaults.baselineMs },
    };
  } catch (error) {
    if (error instanceof ConfigError) throw new InputError(path, error.problems.join('; '));
    throw error;
  }
}
