import { createLogger, type Logger } from '../../src/lib/logger.js';

/** A logger at `level` whose lines a test reads (the newest `limit` of them), e.g. to check them or print them when it fails. */
export function keptLogger({ level = 'info', limit = Number.POSITIVE_INFINITY }: { level?: string; limit?: number } = {}): { logger: Logger; lines: string[] } {
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
