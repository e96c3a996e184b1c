import { createLogger, type Logger } from '../../src/lib/logger.js';

/** A logger at `level` that keeps its newest `limit` lines, for a test to print when it fails. */
export function keptLogger(level = 'info', limit = 200): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({
    level,
    destination: {
      write: (line: string) => {
        lines.push(line);
        if (lines.length > limit) lines.shift();
      },
    },
  });
  return { logger, lines };
}
