import { KqlSyntaxError } from './kql-lexer.js';
import type { Expr } from './kql-parser.js';

/** A value as the fake holds it: scalars, and `dynamic` arrays and property bags. Kusto's empty string is its null string. */
export type KqlValue = string | number | boolean | null | KqlValue[] | { [key: string]: KqlValue };
export type KqlRow = Record<string, KqlValue>;

/** Column name to the type Graph names in `schema`. */
export type KqlSchema = ReadonlyMap<string, string>;

interface ScalarFunction {
  /** Fewest and most arguments. */
  arity: readonly [number, number];
  /** The result's type, from the arguments' types. */
  type: (argTypes: readonly string[]) => string;
  apply: (args: readonly KqlValue[]) => KqlValue;
}

const text = (value: KqlValue | undefined): string => {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
};

const isEmpty = (value: KqlValue | undefined) => value === null || value === undefined || value === '';

/** Kusto's `trim(regex, text)`: every leading and trailing match removed. */
function trim(pattern: string, value: string): string {
  const leading = new RegExp(`^(?:${pattern})`);
  const trailing = new RegExp(`(?:${pattern})$`);
  let result = value;
  for (let match = leading.exec(result); match?.[0]; match = leading.exec(result)) result = result.slice(match[0].length);
  for (let match = trailing.exec(result); match?.[0]; match = trailing.exec(result)) result = result.slice(0, -match[0].length);
  return result;
}

function countOf(value: string, search: string): number {
  if (search === '') return 0;
  return value.split(search).length - 1;
}

/** `parse_url`: the URL's parts, empty strings when the text is not a URL. */
function parseUrl(value: string): { [key: string]: KqlValue } {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  return {
    Scheme: url?.protocol.replace(/:$/, '') ?? '',
    Host: url?.hostname ?? '',
    Port: url?.port ?? '',
    Path: url?.pathname ?? '',
    Username: url?.username ?? '',
    Password: url?.password ?? '',
    'Query Parameters': url ? Object.fromEntries(url.searchParams) : {},
    Fragment: url?.hash.replace(/^#/, '') ?? '',
  };
}

const string = () => 'String';
const firstValueType = (types: readonly string[]) => types[1] ?? 'String';

const FUNCTIONS: Readonly<Record<string, ScalarFunction>> = {
  tolower: { arity: [1, 1], type: string, apply: ([value]) => text(value).toLowerCase() },
  tostring: { arity: [1, 1], type: string, apply: ([value]) => text(value) },
  trim: { arity: [2, 2], type: string, apply: ([pattern, value]) => trim(text(pattern), text(value)) },
  extract: {
    arity: [3, 3],
    type: string,
    apply: ([pattern, group, value]) => new RegExp(text(pattern)).exec(text(value))?.[Number(group)] ?? '',
  },
  countof: { arity: [2, 2], type: () => 'Int64', apply: ([value, search]) => countOf(text(value), text(search)) },
  split: { arity: [2, 2], type: () => 'Dynamic', apply: ([value, delimiter]) => text(value).split(text(delimiter)) },
  parse_url: { arity: [1, 1], type: () => 'Dynamic', apply: ([value]) => parseUrl(text(value)) },
  pack_array: { arity: [1, Number.POSITIVE_INFINITY], type: () => 'Dynamic', apply: (values) => [...values] },
  isempty: { arity: [1, 1], type: () => 'Boolean', apply: ([value]) => isEmpty(value) },
  isnotempty: { arity: [1, 1], type: () => 'Boolean', apply: ([value]) => !isEmpty(value) },
  iff: { arity: [3, 3], type: firstValueType, apply: ([condition, then, otherwise]) => (condition === true ? (then ?? null) : (otherwise ?? null)) },
  case: {
    arity: [3, Number.POSITIVE_INFINITY],
    type: firstValueType,
    apply: (args) => {
      for (let index = 0; index + 1 < args.length; index += 2) if (args[index] === true) return args[index + 1] ?? null;
      return args.at(-1) ?? null;
    },
  },
};

/** Orders values as Kusto's sort does: nulls first, numbers by value, strings ordinally. */
export function compareValues(a: KqlValue, b: KqlValue): number {
  if (isEmpty(a) || isEmpty(b)) return Number(!isEmpty(a)) - Number(!isEmpty(b));
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const left = text(a);
  const right = text(b);
  return left < right ? -1 : left > right ? 1 : 0;
}

function binary(op: string, left: KqlValue, right: KqlValue): KqlValue {
  switch (op) {
    case 'and':
      return left === true && right === true;
    case 'or':
      return left === true || right === true;
    case 'startswith':
      return text(left).toLowerCase().startsWith(text(right).toLowerCase());
    case 'contains':
      return text(left).toLowerCase().includes(text(right).toLowerCase());
  }
  if (left === null || right === null) return false;
  const order = compareValues(left, right);
  switch (op) {
    case '==':
      return order === 0;
    case '!=':
      return order !== 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    default:
      return order >= 0;
  }
}

/** The value of a scalar expression for one row; `checkScalar` has already refused anything unknown. */
export function evaluate(expr: Expr, row: KqlRow): KqlValue {
  switch (expr.kind) {
    case 'string':
    case 'number':
      return expr.value;
    case 'datetime':
      return expr.text;
    case 'column':
      return row[expr.name] ?? null;
    case 'member': {
      const target = evaluate(expr.target, row);
      return target !== null && typeof target === 'object' && !Array.isArray(target) ? (target[expr.name] ?? null) : null;
    }
    case 'index': {
      const target = evaluate(expr.target, row);
      return Array.isArray(target) ? (target[expr.index] ?? null) : null;
    }
    case 'binary':
      return binary(expr.op, evaluate(expr.left, row), evaluate(expr.right, row));
    case 'in': {
      const value = text(evaluate(expr.left, row));
      const fold = (candidate: string) => (expr.caseInsensitive ? candidate.toLowerCase() : candidate);
      return expr.values.some((candidate) => fold(text(evaluate(candidate, row))) === fold(value));
    }
    case 'call':
      return FUNCTIONS[expr.name]!.apply(expr.args.map((arg) => evaluate(arg, row)));
  }
}

/** Refuses what Kusto would refuse before running (unknown columns or functions, wrong arity) and returns the type. */
export function checkScalar(expr: Expr, schema: KqlSchema): string {
  switch (expr.kind) {
    case 'string':
      return 'String';
    case 'number':
      return 'Int64';
    case 'datetime':
      return 'DateTime';
    case 'column': {
      const type = schema.get(expr.name);
      if (type === undefined) throw new KqlSyntaxError(`Failed to resolve scalar expression named '${expr.name}'`);
      return type;
    }
    case 'member':
    case 'index':
      checkScalar(expr.target, schema);
      return 'Dynamic';
    case 'binary':
      checkScalar(expr.left, schema);
      checkScalar(expr.right, schema);
      return 'Boolean';
    case 'in':
      checkScalar(expr.left, schema);
      for (const value of expr.values) checkScalar(value, schema);
      return 'Boolean';
    case 'call': {
      const fn = FUNCTIONS[expr.name];
      if (!fn) throw new KqlSyntaxError(`Failed to resolve scalar function named '${expr.name}'`);
      const [fewest, most] = fn.arity;
      if (expr.args.length < fewest || expr.args.length > most) throw new KqlSyntaxError(`wrong number of arguments to ${expr.name}()`);
      if (expr.name === 'case' && expr.args.length % 2 === 0) throw new KqlSyntaxError('case() needs predicate/value pairs and an else value');
      return fn.type(expr.args.map((arg) => checkScalar(arg, schema)));
    }
  }
}
