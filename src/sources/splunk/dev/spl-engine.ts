import { SplSyntaxError } from './spl-lexer.js';
import type { SortField, SplCommand, SplExpr } from './spl-parser.js';
import type { IndexedEvent } from './sysmon-events.js';

/** A field's value: one string, or the values of a multivalue field. */
type Field = string | string[];

/** A result row as the results endpoint serialises it: field name to string value, multivalue fields as arrays. */
export type ResultRow = Record<string, Field>;

/** An event (with its `_time` and `_indextime`, epoch ms) or, after `stats`, a result row (without). */
interface Row {
  time?: number;
  indexTime?: number;
  fields: Record<string, Field>;
}

type Value = string | number | boolean | string[] | undefined;

/** Each function's fewest and most arguments. */
const FUNCTIONS: Readonly<Record<string, readonly [number, number]>> = {
  lower: [1, 1],
  split: [2, 2],
  mvindex: [2, 2],
  mvappend: [1, Number.POSITIVE_INFINITY],
  rtrim: [1, 2],
  isnull: [1, 1],
};

/** Refuses, before the job runs, what splunkd would refuse at parse time: unknown functions, wrong arity. */
export function validateCommands(commands: readonly SplCommand[]): void {
  const check = (expr: SplExpr): void => {
    if (expr.kind === 'call') {
      const [fewest, most] = FUNCTIONS[expr.name] ?? [1, 0];
      if (expr.args.length < fewest || expr.args.length > most) throw new SplSyntaxError(`Unknown function or wrong arguments: ${expr.name}`);
      expr.args.forEach(check);
    } else if (expr.kind === 'compare' || expr.kind === 'and' || expr.kind === 'or') {
      check(expr.left);
      check(expr.right);
    } else if (expr.kind === 'not') {
      check(expr.operand);
    }
  };
  for (const command of commands) {
    if (command.kind === 'where') check(command.predicate);
    if (command.kind === 'eval') for (const { expr } of command.assignments) check(expr);
  }
}

/** `_time` in epoch seconds with a fraction; `_indextime` in whole seconds, as Splunk keeps it. */
function fieldValue(row: Row, name: string): Field | number | undefined {
  if (name === '_time') return row.time === undefined ? undefined : row.time / 1_000;
  if (name === '_indextime') return row.indexTime === undefined ? undefined : Math.floor(row.indexTime / 1_000);
  return row.fields[name];
}

const valuesOf = (value: Value): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [typeof value === 'string' ? value : String(value)];

const numeric = (text: string): number | undefined => (/^-?\d+(?:\.\d+)?$/.test(text) ? Number(text) : undefined);

/** Numbers compare as numbers, anything else as text. */
function compareText(a: string, b: string): number {
  const [x, y] = [numeric(a), numeric(b)];
  if (x !== undefined && y !== undefined) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

function compare(op: Extract<SplExpr, { kind: 'compare' }>['op'], left: Value, right: Value): boolean {
  if (left === undefined || right === undefined) return false;
  if (op === '==' || op === '!=') return (String(left) === String(right)) === (op === '==');
  const order = compareText(String(left), String(right));
  return op === '<' ? order < 0 : op === '<=' ? order <= 0 : op === '>' ? order > 0 : order >= 0;
}

function rtrim(text: string, characters: string): string {
  let end = text.length;
  while (end > 0 && characters.includes(text[end - 1] ?? '')) end -= 1;
  return text.slice(0, end);
}

function call(name: string, args: readonly Value[]): Value {
  const [first, second] = args;
  switch (name) {
    case 'lower':
      return typeof first === 'string' ? first.toLowerCase() : Array.isArray(first) ? first.map((item) => item.toLowerCase()) : first;
    case 'split':
      return typeof first === 'string' && typeof second === 'string' ? first.split(second) : undefined;
    case 'mvindex':
      return typeof second === 'number' ? valuesOf(first)[second] : undefined;
    case 'mvappend': {
      const values = args.flatMap(valuesOf);
      return values.length === 0 ? undefined : values;
    }
    case 'rtrim':
      return first === undefined ? undefined : rtrim(String(first), second === undefined ? ' \t' : String(second));
    case 'isnull':
      return first === undefined;
    default:
      return undefined;
  }
}

function evaluate(expr: SplExpr, row: Row): Value {
  switch (expr.kind) {
    case 'string':
    case 'number':
      return expr.value;
    case 'field':
      return fieldValue(row, expr.name);
    case 'not':
      return !evaluate(expr.operand, row);
    case 'and':
      return Boolean(evaluate(expr.left, row)) && Boolean(evaluate(expr.right, row));
    case 'or':
      return Boolean(evaluate(expr.left, row)) || Boolean(evaluate(expr.right, row));
    case 'compare':
      return compare(expr.op, evaluate(expr.left, row), evaluate(expr.right, row));
    case 'call':
      return call(expr.name, expr.args.map((arg) => evaluate(arg, row)));
  }
}

/** A search term's value: case-insensitive, `*` matching any run of characters; any value of a multivalue field. */
function termMatches(value: Field | undefined, pattern: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
  return valuesOf(value).some((item) => regex.test(item));
}

/** Splunk's JSON rendering of `_time`: ISO 8601 with milliseconds and the user's offset (UTC here). */
const isoTime = (ms: number) => new Date(ms).toISOString().replace('Z', '+00:00');
const epochText = (ms: number) => (ms / 1_000).toFixed(3);

/** Every combination of the by-fields' values: stats groups each value of a multivalue field on its own. */
function groupKeys(row: Row, by: readonly string[]): string[][] {
  let keys: string[][] = [[]];
  for (const name of by) {
    const values = [...new Set(valuesOf(row.fields[name]))];
    keys = keys.flatMap((key) => values.map((value) => [...key, value]));
  }
  return keys;
}

function aggregateValue(aggregate: Extract<SplCommand, { kind: 'stats' }>['aggregates'][number], rows: readonly Row[]): string | undefined {
  if (aggregate.fn === 'count') return String(rows.length);
  const field = aggregate.field ?? '';
  if (aggregate.fn === 'dc') return String(new Set(rows.flatMap((row) => valuesOf(fieldValue(row, field)))).size);
  const numbers = rows.map((row) => Number(fieldValue(row, field))).filter((n) => !Number.isNaN(n));
  if (numbers.length === 0) return undefined;
  const value = aggregate.fn === 'min' ? Math.min(...numbers) : Math.max(...numbers);
  return field === '_time' ? epochText(value * 1_000) : String(value);
}

/** stats drops events lacking a by-field (why the connector runs fillnull first); without BY it answers one row. */
function stats(command: Extract<SplCommand, { kind: 'stats' }>, rows: readonly Row[]): Row[] {
  const groups = new Map<string, { by: string[]; rows: Row[] }>();
  if (command.by.length === 0) groups.set(JSON.stringify([]), { by: [], rows: [] });
  for (const row of rows) {
    for (const by of groupKeys(row, command.by)) {
      const key = JSON.stringify(by);
      const group = groups.get(key) ?? { by, rows: [] };
      group.rows.push(row);
      groups.set(key, group);
    }
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, group]) => {
      const fields: Record<string, Field> = Object.fromEntries(command.by.map((name, index) => [name, group.by[index] ?? '']));
      for (const aggregate of command.aggregates) {
        const value = aggregateValue(aggregate, group.rows);
        if (value !== undefined) fields[aggregate.as] = value;
      }
      return { fields };
    });
}

/** Missing values sort last either way, as sort documents. */
function sortRows(rows: readonly Row[], keys: readonly SortField[], limit: number): Row[] {
  const sorted = [...rows].sort((a, b) => {
    for (const { field, descending } of keys) {
      const [x, y] = [fieldValue(a, field), fieldValue(b, field)];
      if (x === undefined || y === undefined) {
        if (x !== y) return x === undefined ? 1 : -1;
        continue;
      }
      const order = compareText(String(x), String(y));
      if (order !== 0) return descending ? -order : order;
    }
    return 0;
  });
  return limit === 0 ? sorted : sorted.slice(0, limit);
}

function assign(row: Row, assignments: Extract<SplCommand, { kind: 'eval' }>['assignments']): Row {
  const fields = { ...row.fields };
  const next = { time: row.time, indexTime: row.indexTime, fields };
  for (const { field, expr } of assignments) {
    const value = evaluate(expr, next);
    if (value === undefined) delete fields[field];
    else fields[field] = Array.isArray(value) ? value : String(value);
  }
  return next;
}

function output(row: Row): ResultRow {
  return row.time === undefined ? row.fields : { _time: isoTime(row.time), ...row.fields };
}

/** Runs a read search over the indexed events, as a finished job's results would show it. */
export function runSearch(commands: readonly SplCommand[], events: readonly IndexedEvent[]): ResultRow[] {
  let current: Row[] = [...events].sort((a, b) => b.time - a.time).map((event) => ({ time: event.time, indexTime: event.indexTime, fields: { ...event.fields } }));
  for (const command of commands) {
    switch (command.kind) {
      case 'search':
        current = current.filter((row) => command.terms.every((term) => termMatches(row.fields[term.field], term.value)));
        break;
      case 'where':
        current = current.filter((row) => evaluate(command.predicate, row) === true);
        break;
      case 'eval':
        current = current.map((row) => assign(row, command.assignments));
        break;
      case 'fillnull':
        current = current.map((row) => ({
          time: row.time,
          indexTime: row.indexTime,
          fields: { ...Object.fromEntries(command.fields.map((name) => [name, command.value])), ...row.fields },
        }));
        break;
      case 'stats':
        current = stats(command, current);
        break;
      case 'sort':
        current = sortRows(current, command.fields, command.limit);
        break;
      case 'table':
        return current.map((row) =>
          Object.fromEntries(
            command.fields.flatMap((name) => {
              if (name === '_time') return row.time === undefined ? [] : [[name, isoTime(row.time)]];
              const value = row.fields[name];
              return value === undefined ? [] : [[name, value]];
            }),
          ),
        );
    }
  }
  return current.map(output);
}
