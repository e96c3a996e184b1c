/**
 * PAN-OS writes and reads log times (`receive_time`, `time_generated`, the query's time literals) as
 * `YYYY/MM/DD HH:MM:SS` in the firewall's own time zone. These convert between that wall-clock text and instants.
 */

const PAN_TIME = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let known = formatters.get(timeZone);
  if (!known) {
    known = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, known);
  }
  return known;
}

/** True when `timeZone` is an IANA zone name this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock fields of `ms` in `timeZone`, as epoch ms of the same fields read as UTC. */
function wallClockAsUtc(ms: number, timeZone: string): number {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(new Date(ms)).map((part) => [part.type, part.value]));
  return Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
}

/** `ms` (floored to the second) as PAN-OS time text in `timeZone`. */
export function formatPanTime(ms: number, timeZone: string): string {
  const wall = new Date(wallClockAsUtc(ms, timeZone));
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${wall.getUTCFullYear()}/${pad(wall.getUTCMonth() + 1)}/${pad(wall.getUTCDate())} ${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}:${pad(wall.getUTCSeconds())}`;
}

/**
 * PAN-OS time text in `timeZone` as epoch ms; undefined when malformed. A wall time that occurs twice (the hour
 * repeated when clocks go back) reads as the earlier instant; one that never occurs (skipped forward) as the later.
 */
export function parsePanTime(text: string, timeZone: string): number | undefined {
  const match = PAN_TIME.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number);
  const wall = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!);
  if (Number.isNaN(wall) || new Date(wall).getUTCDate() !== day) return undefined;
  // The zone's offsets a day either side cover any one transition between them.
  const [before, after] = [wall - DAY_MS, wall + DAY_MS].map((ms) => wallClockAsUtc(ms, timeZone) - ms) as [number, number];
  const matches = [wall - before, wall - after].filter((ms) => wallClockAsUtc(ms, timeZone) === wall).sort((a, b) => a - b);
  return matches[0] ?? wall - before;
}
