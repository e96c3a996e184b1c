import ipaddr from 'ipaddr.js';

/**
 * A reader for FortiOS log API filters: each `filter` parameter is `key<op>value` terms joined by `,` (OR), and
 * several parameters are ANDed. Operators: `==` `!=` `=@` (contains) `!@` `=*` (case-insensitive equal) `!*`
 * `>=` `>` `<=` `<`. Only the keys below are known; anything else is refused.
 */

export class FortiFilterError extends Error {
  override readonly name = 'FortiFilterError';
}

export type FortiOperator = '==' | '!=' | '=@' | '!@' | '=*' | '!*' | '>=' | '>' | '<=' | '<';
export type FortiKey = 'srcip' | 'dstip' | 'dstport' | 'action' | 'policyid' | '_metadata.timestamp';

export interface FortiTerm {
  key: FortiKey;
  op: FortiOperator;
  value: string;
}

/** One `filter` parameter: its terms, any of which may match. */
export type FortiFilter = FortiTerm[];

const KEYS: readonly FortiKey[] = ['srcip', 'dstip', 'dstport', 'action', 'policyid', '_metadata.timestamp'];
// Two-character operators first, so that `>=` is not read as `>` and a value starting with `=`.
const OPERATORS: readonly FortiOperator[] = ['==', '!=', '=@', '!@', '=*', '!*', '>=', '<=', '>', '<'];
const NUMERIC: ReadonlySet<FortiKey> = new Set(['dstport', 'policyid', '_metadata.timestamp']);

function readTerm(text: string): FortiTerm {
  const key = KEYS.find((candidate) => text.startsWith(candidate) && OPERATORS.some((op) => text.startsWith(op, candidate.length)));
  if (!key) throw new FortiFilterError(`unknown filter key in ${JSON.stringify(text)}`);
  const op = OPERATORS.find((candidate) => text.startsWith(candidate, key.length));
  if (!op) throw new FortiFilterError(`unknown operator in ${JSON.stringify(text)}`);
  const value = text.slice(key.length + op.length);
  if (value === '') throw new FortiFilterError(`empty value in ${JSON.stringify(text)}`);
  if (NUMERIC.has(key) && !/^\d{1,16}$/.test(value)) throw new FortiFilterError(`${key} takes a number, got ${JSON.stringify(value)}`);
  if ((key === 'srcip' || key === 'dstip') && (op === '==' || op === '!=') && !ipaddr.isValid(value)) {
    throw new FortiFilterError(`${key} takes an address, got ${JSON.stringify(value)}`);
  }
  return { key, op, value };
}

export function parseFortiFilter(text: string): FortiFilter {
  return text.split(',').map(readTerm);
}

/** The fields of a traffic record a filter can test, as strings. */
export type FilterableRecord = Record<FortiKey, string>;

function termMatches(record: FilterableRecord, { key, op, value }: FortiTerm): boolean {
  const actual = record[key];
  const numeric = NUMERIC.has(key);
  switch (op) {
    case '==':
      return actual === value;
    case '!=':
      return actual !== value;
    case '=*':
      return actual.toLowerCase() === value.toLowerCase();
    case '!*':
      return actual.toLowerCase() !== value.toLowerCase();
    case '=@':
      return actual.includes(value);
    case '!@':
      return !actual.includes(value);
    case '>=':
      return numeric ? Number(actual) >= Number(value) : actual >= value;
    case '>':
      return numeric ? Number(actual) > Number(value) : actual > value;
    case '<=':
      return numeric ? Number(actual) <= Number(value) : actual <= value;
    case '<':
      return numeric ? Number(actual) < Number(value) : actual < value;
  }
}

export function matchesFilters(filters: readonly FortiFilter[], record: FilterableRecord): boolean {
  return filters.every((filter) => filter.some((term) => termMatches(record, term)));
}

/** Every value the filters compare `key` with, e.g. the source addresses a query asked for. */
export function valuesOf(filters: readonly FortiFilter[], key: FortiKey): { op: FortiOperator; value: string }[] {
  return filters.flat().flatMap((term) => (term.key === key ? [{ op: term.op, value: term.value }] : []));
}
