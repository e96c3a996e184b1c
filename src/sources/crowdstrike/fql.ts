/**
 * Falcon Query Language filters for the Hosts API. Values are emitted only through `fqlString`, so a host name
 * cannot add a property, an operator or a second filter.
 */

const FQL_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', "'": "\\'" };

/** A single-quoted FQL string: backslash and quote are escaped, every other character stands for itself. */
export function fqlString(value: string): string {
  return `'${value.replace(/[\\']/g, (char) => FQL_ESCAPES[char] ?? char)}'`;
}

export type DeviceLookupField = 'hostname' | 'local_ip';

export interface DeviceLookup {
  field: DeviceLookupField;
  value: string;
}

/**
 * `field:'value'` terms joined by `,` (FQL's OR). The quoted form matches loosely (case and partial matches), so
 * the caller keeps only devices that really carry the name; the exact `['...']` form would miss a host whose
 * name the SOAR spells in another case.
 */
export function deviceFilter(lookups: readonly DeviceLookup[]): string {
  if (lookups.length === 0) throw new RangeError('no host to look up');
  return lookups.map((lookup) => `${lookup.field}:${fqlString(lookup.value)}`).join(',');
}
