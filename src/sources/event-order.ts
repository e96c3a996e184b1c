import type { ConnectionEvent } from '../contracts/connection-event.js';

/** Oldest first; the id breaks ties, so the same events always come back in the same order. */
export const byTimeThenId = (a: ConnectionEvent, b: ConnectionEvent): number => a.time - b.time || a.id.localeCompare(b.id);
