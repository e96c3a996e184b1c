import { CqlSyntaxError } from './cql-lexer.js';
import type { Argument, Call, Comparison, Value } from './cql-parser.js';

/**
 * The LogScale aggregate functions the fake runs, read from their calls and evaluated over rows as NG-SIEM does:
 * every output value is a string, `groupBy()` drops events missing a group field and stops opening groups at its
 * limit, and a list of functions is `stats()`, whose outputs combine as a Cartesian product (an output of no rows
 * counting as one empty row).
 */
export type Aggregator =
  | { fn: 'count'; field?: string; distinct: boolean; as: string }
  | { fn: 'min' | 'max'; field: string; as: string }
  | { fn: 'groupBy'; fields: string[]; functions: Aggregator[]; limit: number }
  | { fn: 'stats'; functions: Aggregator[] }
  | { fn: 'sort'; field: string; order: 'asc' | 'desc'; limit: number };

export type Row = Record<string, string | number>;

/** LogScale's defaults: GroupDefaultLimit for groupBy(), 200 rows for sort(). */
const GROUP_DEFAULT_LIMIT = 20_000;
const SORT_DEFAULT_LIMIT = 200;

const reject = (message: string): never => {
  throw new CqlSyntaxError(message);
};

function argumentsOf(call: Call, allowed: readonly string[], positional: string): Map<string, Value> {
  const values = new Map<string, Value>();
  for (const arg of call.args as Argument[]) {
    const name = arg.name ?? positional;
    if (!allowed.includes(name)) reject(`${call.name}() has no parameter ${name}`);
    if (values.has(name)) reject(`${call.name}() sets ${name} twice`);
    values.set(name, arg.value);
  }
  return values;
}

function fieldName(value: Value | undefined, what: string): string {
  if (value?.kind === 'name') return value.name;
  if (value?.kind === 'string') return value.value;
  return reject(`expected a field name for ${what}`);
}

function fieldNames(value: Value | undefined, what: string): string[] {
  return value?.kind === 'array' ? value.items.map((item) => fieldName(item, what)) : [fieldName(value, what)];
}

function integer(value: Value | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  return value.kind === 'number' && Number.isSafeInteger(value.value) ? value.value : reject(`expected an integer for ${what}`);
}

function functionsOf(value: Value | undefined, fallback: Aggregator[]): Aggregator[] {
  if (value === undefined) return fallback;
  if (value.kind === 'call') return [readAggregator(value.call)];
  if (value.kind === 'array') return value.items.map((item) => (item.kind === 'call' ? readAggregator(item.call) : reject('expected an aggregate function')));
  return reject('expected an aggregate function or a list of them');
}

/** An aggregate function call, with LogScale's parameter names, unnamed first parameter and defaults. */
export function readAggregator(call: Call): Aggregator {
  switch (call.name) {
    case 'count': {
      const args = argumentsOf(call, ['field', 'distinct', 'as'], 'field');
      const distinct = args.get('distinct');
      if (distinct !== undefined && (distinct.kind !== 'name' || !['true', 'false'].includes(distinct.name))) reject('distinct must be true or false');
      const field = args.has('field') ? fieldName(args.get('field'), 'count()') : undefined;
      const isDistinct = distinct?.kind === 'name' && distinct.name === 'true';
      if (isDistinct && field === undefined) reject('count(distinct=true) needs a field');
      return { fn: 'count', field, distinct: isDistinct, as: args.has('as') ? fieldName(args.get('as'), 'as') : '_count' };
    }
    case 'min':
    case 'max': {
      const args = argumentsOf(call, ['field', 'as'], 'field');
      return { fn: call.name, field: fieldName(args.get('field'), `${call.name}()`), as: args.has('as') ? fieldName(args.get('as'), 'as') : `_${call.name}` };
    }
    case 'groupBy': {
      const args = argumentsOf(call, ['field', 'function', 'limit'], 'field');
      return {
        fn: 'groupBy',
        fields: fieldNames(args.get('field'), 'groupBy()'),
        functions: functionsOf(args.get('function'), [{ fn: 'count', distinct: false, as: '_count' }]),
        limit: integer(args.get('limit'), GROUP_DEFAULT_LIMIT, 'groupBy(limit)'),
      };
    }
    case 'stats': {
      const args = argumentsOf(call, ['function'], 'function');
      return { fn: 'stats', functions: functionsOf(args.get('function'), [{ fn: 'count', distinct: false, as: '_count' }]) };
    }
    case 'sort': {
      const args = argumentsOf(call, ['field', 'order', 'limit'], 'field');
      const order = args.get('order');
      if (order !== undefined && (order.kind !== 'name' || (order.name !== 'asc' && order.name !== 'desc'))) reject('order must be asc or desc');
      return {
        fn: 'sort',
        field: fieldName(args.get('field'), 'sort()'),
        order: order?.kind === 'name' && order.name === 'asc' ? 'asc' : 'desc',
        limit: integer(args.get('limit'), SORT_DEFAULT_LIMIT, 'sort(limit)'),
      };
    }
    default:
      return reject(`unsupported aggregate ${call.name}()`);
  }
}

export const isAggregateCall = (call: Call): boolean => ['count', 'min', 'max', 'groupBy', 'stats', 'sort'].includes(call.name);

const numberIn = (row: Row, field: string): number | undefined => {
  const value = row[field];
  const number = value === undefined || value === '' ? NaN : Number(value);
  return Number.isFinite(number) ? number : undefined;
};

/** The Cartesian product of the outputs; a field set to two different values is an error, as in LogScale. */
function combine(outputs: Row[][]): Row[] {
  return outputs.reduce<Row[]>(
    (rows, output) =>
      rows.flatMap((row) =>
        (output.length === 0 ? [{}] : output).map((other) => {
          for (const [field, value] of Object.entries(other)) {
            if (field in row && String(row[field]) !== String(value)) reject(`stats() outputs set ${field} twice`);
          }
          return { ...row, ...other };
        }),
      ),
    [{}],
  );
}

export function aggregate(aggregator: Aggregator, rows: readonly Row[]): Row[] {
  switch (aggregator.fn) {
    case 'count': {
      const { field } = aggregator;
      const present = field === undefined ? rows : rows.filter((row) => row[field] !== undefined);
      const count = aggregator.distinct && field !== undefined ? new Set(present.map((row) => String(row[field]))).size : present.length;
      return [{ [aggregator.as]: String(count) }];
    }
    case 'min':
    case 'max': {
      const values = rows.map((row) => numberIn(row, aggregator.field)).filter((value) => value !== undefined);
      if (values.length === 0) return [];
      return [{ [aggregator.as]: String(aggregator.fn === 'min' ? Math.min(...values) : Math.max(...values)) }];
    }
    case 'groupBy': {
      const groups = new Map<string, { values: string[]; rows: Row[] }>();
      for (const row of rows) {
        const values: string[] = [];
        for (const field of aggregator.fields) {
          const value = row[field];
          if (value === undefined) break;
          values.push(String(value));
        }
        if (values.length < aggregator.fields.length) continue;
        const id = values.join('\u0000');
        const group = groups.get(id);
        if (group) group.rows.push(row);
        else if (groups.size < aggregator.limit) groups.set(id, { values, rows: [row] });
      }
      const stats: Aggregator = { fn: 'stats', functions: aggregator.functions };
      return [...groups.values()].flatMap((group) => {
        const key = Object.fromEntries(aggregator.fields.map((field, index) => [field, group.values[index] ?? '']));
        return combine([[key], aggregate(stats, group.rows)]);
      });
    }
    case 'stats':
      return combine(aggregator.functions.map((fn) => aggregate(fn, rows)));
    case 'sort': {
      const direction = aggregator.order === 'asc' ? 1 : -1;
      const keyed = rows.map((row, index) => ({ row, index, value: numberIn(row, aggregator.field) }));
      // Rows without a number sort last either way; equal values keep their order.
      keyed.sort((a, b) => {
        if (a.value === undefined || b.value === undefined) return (a.value === undefined ? 1 : 0) - (b.value === undefined ? 1 : 0) || a.index - b.index;
        return (a.value - b.value) * direction || a.index - b.index;
      });
      return keyed.slice(0, aggregator.limit).map((entry) => entry.row);
    }
  }
}

export function meetsComparison(row: Row, field: string, operator: Comparison, value: number): boolean {
  const number = numberIn(row, field);
  if (number === undefined) return false;
  switch (operator) {
    case '<':
      return number < value;
    case '<=':
      return number <= value;
    case '>':
      return number > value;
    case '>=':
      return number >= value;
  }
}
