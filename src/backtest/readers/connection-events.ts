import { ConnectionEventSchema, type ConnectionEvent } from '../../contracts/connection-event.js';
import { recordError, type RecordReader } from './record-reader.js';

/** Normalized `ConnectionEvent` JSON lines, as the live pipeline sees them: every line must pass the contract. */
export function createConnectionEventReader(): RecordReader {
  return {
    skipped: 0,
    read(record, at): ConnectionEvent {
      const parsed = ConnectionEventSchema.safeParse(record);
      if (parsed.success) return parsed.data;
      const issue = parsed.error.issues[0];
      const field = issue?.path.map(String).join('.') || '(record)';
      throw recordError(at, `not a ConnectionEvent: ${field}: ${issue?.message ?? 'invalid'}`);
    },
    finish: () => [],
  };
}
