import pino, { type Logger } from 'pino';

/** Paths that can carry credentials; pino replaces them before a line is written. */
const REDACT = [
  'client_secret',
  '*.client_secret',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'config.headers.Authorization',
  'secret',
  '*.secret',
  'api_key',
  '*.api_key',
];

export function createLogger(options: { level?: string; name?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      name: options.name ?? 'containment-watch',
      level: options.level ?? 'info',
      redact: { paths: REDACT, censor: '[redacted]' },
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}

/** A logger that writes nothing, for unit tests and tools that print their own output. */
export const silentLogger = (): Logger => pino({ level: 'silent' });

export type { Logger };
