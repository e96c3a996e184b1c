/**
 * Process start times as the connectors read them. The vendor's value is the sensor's, but it reaches us as text that
 * anything on the path could have bent: a value that is not the vendor's documented form is absent, never an error
 * and never a guess.
 */

/** Epoch ms as the contract takes it: a positive safe integer (no process on a watched host started before 1970). */
export function startedAtMs(ms: number | undefined): number | undefined {
  return ms !== undefined && Number.isSafeInteger(ms) && ms > 0 ? ms : undefined;
}

/** A UTC ISO 8601 datetime with `Z`, any fraction up to nanoseconds (S1 writes ms, MDE 100 ns ticks). */
const ISO_UTC = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/;

/** Epoch ms of a strict UTC ISO datetime; the sub-millisecond digits are dropped, not rounded. */
export function isoUtcMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = ISO_UTC.exec(value);
  if (!match) return undefined;
  const seconds = Date.parse(`${match[1]}Z`);
  // Date.parse rolls some impossible dates over (Feb 30); reading the text back refuses them.
  if (!Number.isFinite(seconds) || new Date(seconds).toISOString().slice(0, 19) !== match[1]) return undefined;
  return startedAtMs(seconds + Number((match[2] ?? '').padEnd(3, '0').slice(0, 3)));
}

/** Epoch seconds with an optional fraction (`"1790669662.402"`), as a number or a decimal string; ms dropped below. */
export function epochSecondsMs(value: unknown): number | undefined {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string') return undefined;
  const match = /^(\d{1,11})(?:\.(\d{1,9}))?$/.exec(text);
  if (!match) return undefined;
  return startedAtMs(Number(match[1]) * 1_000 + Number((match[2] ?? '').padEnd(3, '0').slice(0, 3)));
}
