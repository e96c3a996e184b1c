/** Tolerant accessors for telemetry records, where numbers arrive as strings and "-" or "" mean absent. */

export type Fields = Readonly<Record<string, unknown>>;

export const isRecord = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A trimmed string, or undefined for absent, empty, "-" and non-scalar values. */
export function text(value: unknown): string | undefined {
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' || trimmed === '-' ? undefined : trimmed;
}

/** A non-negative integer from a number or a decimal string; `invalid` when present but not one. */
export function integer(value: unknown): number | undefined | 'invalid' {
  const raw = text(value);
  if (raw === undefined) return undefined;
  if (!/^\d{1,15}$/.test(raw)) return 'invalid';
  return Number(raw);
}

/** A port (0-65535); `invalid` when present but out of range or not a number. */
export function port(value: unknown): number | undefined | 'invalid' {
  const parsed = integer(value);
  if (parsed === 'invalid' || parsed === undefined) return parsed;
  return parsed <= 65_535 ? parsed : 'invalid';
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Epoch ms of an ISO 8601 or "YYYY-MM-DD hh:mm:ss.fff" date-time. Without a zone the text is taken as UTC
 * (Sysmon's UtcTime, MDE exports); undefined when the text is not a date-time.
 */
export function utcTime(value: unknown): number | undefined {
  const raw = text(value);
  if (raw === undefined) return undefined;
  const match = DATE_TIME.exec(raw);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction = '', zone = 'Z'] = match;
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  const base = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), ms);
  if (Number.isNaN(base) || Number(month) > 12 || Number(day) > 31 || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 60) {
    return undefined;
  }
  if (zone.toUpperCase() === 'Z') return base;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return base - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DISPLAYED = /^([a-z]{3})[a-z]*\.? (\d{1,2}), (\d{4}),? (\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))? ?([ap]\.?m\.?)?$/i;

/**
 * Epoch ms of a date-time as the Defender portal shows it and copies it into CSV exports ("Mar 10, 2026 9:03:12 AM",
 * 12- or 24-hour), taken as UTC like every advanced-hunting time. Numeric day/month orders are refused: "10/03/2026"
 * is a different day in each locale.
 */
export function displayedTime(value: unknown): number | undefined {
  const match = DISPLAYED.exec(text(value) ?? '');
  if (!match) return undefined;
  const [, monthName = '', day, year, hour, minute, second, fraction = '', meridiem] = match;
  const month = MONTHS.indexOf(monthName.toLowerCase());
  let hours = Number(hour);
  if (meridiem !== undefined) {
    if (hours < 1 || hours > 12) return undefined;
    hours = (hours % 12) + (meridiem.toLowerCase().startsWith('p') ? 12 : 0);
  }
  if (month < 0 || Number(day) < 1 || Number(day) > 31 || hours > 23 || Number(minute) > 59 || Number(second) > 60) return undefined;
  return Date.UTC(Number(year), month, Number(day), hours, Number(minute), Number(second), Number(fraction.padEnd(3, '0').slice(0, 3)));
}

/** `{ [key]: value }`, or nothing when the value is absent: optional contract fields stay absent, never `undefined`. */
export const optional = <K extends string, V>(key: K, value: V | undefined) =>
  value === undefined ? {} : ({ [key]: value } as Record<K, V>);

/** The file name of a Windows or POSIX path. */
export function fileName(path: string): string {
  const cut = Math.max(path.lastIndexOf('\\'), path.lastIndexOf('/'));
  return cut === -1 ? path : path.slice(cut + 1);
}

/**
 * A value at a dotted path ("process.hash.sha1"), whether the record nests it, writes it as one flat dotted key as
 * Zeek does, or mixes both as pipelines do (`{"zeek": {"connection.state": ...}}`, `{"source.ip": ...}`).
 */
export function at(record: Fields, path: string): unknown {
  if (Object.hasOwn(record, path)) return record[path];
  for (let dot = path.indexOf('.'); dot !== -1; dot = path.indexOf('.', dot + 1)) {
    const head = path.slice(0, dot);
    const child = Object.hasOwn(record, head) ? record[head] : undefined;
    if (!isRecord(child)) continue;
    const found = at(child, path.slice(dot + 1));
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The value at the first of these paths that holds one ("", "-" and null hold none). */
export function first(record: Fields, ...paths: string[]): unknown {
  for (const path of paths) {
    const value = at(record, path);
    if (value === undefined || value === null || (typeof value === 'string' && text(value) === undefined)) continue;
    return value;
  }
  return undefined;
}

/** Zeek's and ECS's booleans: JSON true/false, or T/F in Zeek's TSV. */
export function flag(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  const raw = text(value)?.toLowerCase();
  if (raw === 't' || raw === 'true') return true;
  if (raw === 'f' || raw === 'false') return false;
  return undefined;
}
