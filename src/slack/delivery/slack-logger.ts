import { webApi } from '@slack/bolt';
import type { Logger } from '../../lib/logger.js';

/**
 * Slack SDK logging (WebClient, Bolt) through pino. Debug lines carry request bodies (telemetry) and are dropped.
 * `component` names the SDK part in each line. @defaultValue 'slack-web-api'
 */
export function webClientLogger(logger: Logger, component = 'slack-web-api'): webApi.Logger {
  const log = logger.child({ component });
  const text = (parts: unknown[]) => parts.map((part) => (part instanceof Error ? part.message : String(part))).join(' ');
  let level = webApi.LogLevel.INFO;
  return {
    debug: () => undefined,
    info: (...parts: unknown[]) => log.info(text(parts)),
    warn: (...parts: unknown[]) => log.warn(text(parts)),
    error: (...parts: unknown[]) => log.error(text(parts)),
    setLevel: (next: webApi.LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
