/** Tolerant accessors for telemetry records, where numbers arrive as strings and "-" or "" mean absent. */

export type Fields = Readonly<Record<string, unknown>>;

export const isRecord = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A trimmed string, or undefined for absent, empty, "-" and non-scalar values. */
export function text(value: unknown): string | undefined {
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value !== 'string') return undefined;
  // Most values have nothing to trim: printable ASCII at both ends (trim's whitespace is at or below U+0020 or
  // beyond ASCII).
  const head = value.charCodeAt(0);
  const tail = value.charCodeAt(value.length - 1);
  const trimmed = head > 32 && head < 127 && tail > 32 && tail < 127 ? value : value.trim();
  return trimmed === '' || trimmed === '-' ? undefined : trimmed;
}

/** A non-negative integer from a number or a decimal string; `invalid` when present but not one. */
export function integer(value: unknown): number | undefined | 'invalid' {
  // A JSON number is taken as the decimal text it prints as would be: up to 15 digits, no sign, no fraction.
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value < 1e15 ? value + 0 : 'invalid';
  const raw = text(value);
  if (raw === undefined) return undefined;
  if (raw.length > 15) return 'invalid';
  for (let index = 0; index < raw.length; index += 1) {
    const code = raw.charCodeAt(index);
    if (code < 48 || code > 57) return 'invalid';
  }
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
  const fast = plainUtcTime(raw);
  if (fast !== undefined) return fast;
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

const digitAt = (raw: string, index: number) => {
  const code = raw.charCodeAt(index) - 48;
  return code >= 0 && code <= 9 ? code : Number.NaN;
};
const numberAt = (raw: string, index: number, length: number) => {
  let value = 0;
  for (let offset = 0; offset < length; offset += 1) value = value * 10 + digitAt(raw, index + offset);
  return value;
};

/**
 * The common shapes, "2026-03-10T09:03:12.4471234Z" and "2026-03-10 09:03:12.447", read without the regular
 * expression (exports hold millions); undefined for anything else, which `DATE_TIME` then reads.
 */
function plainUtcTime(raw: string): number | undefined {
  const separator = raw[10];
  if (raw.length < 19 || raw[4] !== '-' || raw[7] !== '-' || (separator !== 'T' && separator !== 't' && separator !== ' ') || raw[13] !== ':' || raw[16] !== ':') {
    return undefined;
  }
  let end = 19;
  let ms = 0;
  if (raw[19] === '.' || raw[19] === ',') {
    while (end + 1 < raw.length && !Number.isNaN(digitAt(raw, end + 1))) end += 1;
    const digits = end - 19;
    if (digits < 1 || digits > 9) return undefined;
    ms = numberAt(raw, 20, Math.min(digits, 3)) * 10 ** Math.max(0, 3 - digits);
    end += 1;
  }
  if (!(end === raw.length || (end === raw.length - 1 && (raw[end] === 'Z' || raw[end] === 'z')))) return undefined;
  const [year, month, day, hour, minute, second] = [numberAt(raw, 0, 4), numberAt(raw, 5, 2), numberAt(raw, 8, 2), numberAt(raw, 11, 2), numberAt(raw, 14, 2), numberAt(raw, 17, 2)];
  if (Number.isNaN(year + month + day + hour + minute + second + ms)) return undefined;
  if (month > 12 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const time = dayStart(year, month, day) + ((hour * 60 + minute) * 60 + second) * 1000 + ms;
  return Number.isNaN(time) ? undefined : time;
}

/** The last day asked for: telemetry comes mostly in time order, and Date.UTC is a call into the runtime. */
const lastDay = { key: Number.NaN, start: Number.NaN };

/** Epoch ms of the day's start, as Date.UTC reads it (years 0 to 99 are 1900 to 1999, a 31 June is 1 July). */
function dayStart(year: number, month: number, day: number): number {
  const key = (year * 100 + month) * 100 + day;
  if (key !== lastDay.key) {
    lastDay.key = key;
    lastDay.start = Date.UTC(year, month - 1, day);
  }
  return lastDay.start;
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

/**
 * The fields that hold a value, in their order: what spreading `optional` for each field gives, built in one object
 * rather than one per field (a reader makes millions of events).
 */
export function present<T extends object>(fields: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const kept: Record<string, unknown> = {};
  for (const key in fields) {
    const value = fields[key];
    if (value !== undefined) kept[key] = value;
  }
  return kept as { [K in keyof T]?: Exclude<T[K], undefined> };
}

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
  for (const [head, rest] of splitsOf(path)) {
    const child = Object.hasOwn(record, head) ? record[head] : undefined;
    if (!isRecord(child)) continue;
    const found = at(child, rest);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Every way to cut a dotted path in two at a dot, computed once per path: records are read by the million. */
const SPLITS = new Map<string, ReadonlyArray<readonly [string, string]>>();

function splitsOf(path: string): ReadonlyArray<readonly [string, string]> {
  let splits = SPLITS.get(path);
  if (!splits) {
    const found: Array<readonly [string, string]> = [];
    for (let dot = path.indexOf('.'); dot !== -1; dot = path.indexOf('.', dot + 1)) found.push([path.slice(0, dot), path.slice(dot + 1)]);
    splits = found;
    SPLITS.set(path, splits);
  }
  return splits;
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
