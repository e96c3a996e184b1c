import { KqlSyntaxError } from './kql-lexer.js';
import type { Assignment, Operator, SortKey } from './kql-parser.js';
import { checkScalar, compareValues, evaluate, type KqlRow, type KqlSchema, type KqlValue } from './kql-scalar.js';

export interface ColumnType {
  name: string;
  type: string;
}

const reject = (message: string): never => {
  throw new KqlSyntaxError(message);
};

/** `dcount(x[, accuracy])`, `count()`, `min(x)`, `max(x)`: the aggregation functions the fake runs. */
function checkAggregate({ name, expr }: Assignment, schema: KqlSchema): ColumnType {
  if (expr.kind !== 'call') return reject(`${name} is not an aggregation`);
  const [value, accuracy, ...extra] = expr.args;
  if (expr.name === 'count' && expr.args.length === 0) return { name, type: 'Int64' };
  if (expr.name === 'dcount' && value && extra.length === 0) {
    if (accuracy !== undefined && (accuracy.kind !== 'number' || accuracy.value > 4)) reject('dcount accuracy must be a literal 0 to 4');
    checkScalar(value, schema);
    return { name, type: 'Int64' };
  }
  if ((expr.name === 'min' || expr.name === 'max') && value && accuracy === undefined) return { name, type: checkScalar(value, schema) };
  return reject(`unsupported aggregation ${expr.name}()`);
}

function checkKey(key: SortKey, schema: KqlSchema): void {
  if (!schema.has(key.column)) reject(`Failed to resolve scalar expression named '${key.column}'`);
}

/**
 * Checks an operator sequence over `columns` as Kusto's semantic pass would (every column and function resolves)
 * and returns the columns it produces, with their types.
 */
export function checkPipeline(stages: readonly Operator[], columns: readonly ColumnType[]): ColumnType[] {
  let schema = new Map(columns.map((column) => [column.name, column.type]));
  for (const stage of stages) {
    switch (stage.kind) {
      case 'where':
        checkScalar(stage.predicate, schema);
        break;
      case 'extend':
        for (const { name, expr } of stage.columns) schema.set(name, checkScalar(expr, schema));
        break;
      case 'project':
        schema = new Map(stage.columns.map((name) => [name, checkScalar({ kind: 'column', name }, schema)]));
        break;
      case 'mv-expand':
        checkScalar({ kind: 'column', name: stage.column }, schema);
        if (stage.type !== undefined && stage.type !== 'string') reject(`the fake expands only to typeof(string), not ${stage.type}`);
        schema.set(stage.column, stage.type === 'string' ? 'String' : 'Dynamic');
        break;
      case 'summarize': {
        const by = stage.by.map(({ name, expr }) => ({ name, type: checkScalar(expr, schema) }));
        const aggregates = stage.aggregates.map((aggregate) => checkAggregate(aggregate, schema));
        schema = new Map([...by, ...aggregates].map((column) => [column.name, column.type]));
        break;
      }
      case 'order':
        for (const key of stage.keys) checkKey(key, schema);
        break;
      case 'top':
        checkKey(stage.key, schema);
        break;
      case 'take':
        break;
    }
  }
  return [...schema].map(([name, type]) => ({ name, type }));
}

const byKeys = (keys: readonly SortKey[]) => (a: KqlRow, b: KqlRow) => {
  for (const { column, direction } of keys) {
    const order = compareValues(a[column] ?? null, b[column] ?? null);
    if (order !== 0) return direction === 'asc' ? order : -order;
  }
  return 0;
};

function aggregate({ expr }: Assignment, rows: readonly KqlRow[]): KqlValue {
  if (expr.kind !== 'call') return null;
  const [argument] = expr.args;
  if (expr.name === 'count' || !argument) return rows.length;
  const values = rows.map((row) => evaluate(argument, row)).filter((value) => value !== null && value !== '');
  if (expr.name === 'dcount') return new Set(values.map((value) => JSON.stringify(value))).size;
  const sorted = values.sort(compareValues);
  return (expr.name === 'min' ? sorted[0] : sorted.at(-1)) ?? null;
}

/** Groups as summarize does: no `by` gives one row even over no input, as count() and dcount() answer 0 then. */
function summarize(stage: Extract<Operator, { kind: 'summarize' }>, rows: readonly KqlRow[]): KqlRow[] {
  const groups = new Map<string, { keys: KqlValue[]; rows: KqlRow[] }>();
  if (stage.by.length === 0) groups.set(JSON.stringify([]), { keys: [], rows: [] });
  for (const row of rows) {
    const keys = stage.by.map(({ expr }) => evaluate(expr, row));
    const id = JSON.stringify(keys);
    const group = groups.get(id) ?? { keys, rows: [] };
    group.rows.push(row);
    groups.set(id, group);
  }
  return [...groups.values()].map((group) => ({
    ...Object.fromEntries(stage.by.map(({ name }, index) => [name, group.keys[index] ?? null])),
    ...Object.fromEntries(stage.aggregates.map((assignment) => [assignment.name, aggregate(assignment, group.rows)])),
  }));
}

const asString = (value: KqlValue): string =>
  value === null ? '' : typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);

/** One row per element of the column's array (a scalar stays one row), elements converted when `to typeof` says. */
function mvExpand(stage: Extract<Operator, { kind: 'mv-expand' }>, rows: readonly KqlRow[]): KqlRow[] {
  return rows.flatMap((row) => {
    const value = row[stage.column] ?? null;
    const values = Array.isArray(value) ? value : [value];
    return values.map((item) => ({ ...row, [stage.column]: stage.type === 'string' ? asString(item) : item }));
  });
}

/** Runs a checked operator sequence over rows. */
export function runPipeline(stages: readonly Operator[], input: readonly KqlRow[]): KqlRow[] {
  let rows = [...input];
  for (const stage of stages) {
    switch (stage.kind) {
      case 'where':
        rows = rows.filter((row) => evaluate(stage.predicate, row) === true);
        break;
      case 'extend':
        rows = rows.map((row) => {
          const extended = { ...row };
          for (const { name, expr } of stage.columns) extended[name] = evaluate(expr, extended);
          return extended;
        });
        break;
      case 'project':
        rows = rows.map((row) => Object.fromEntries(stage.columns.map((name) => [name, row[name] ?? null])));
        break;
      case 'mv-expand':
        rows = mvExpand(stage, rows);
        break;
      case 'summarize':
        rows = summarize(stage, rows);
        break;
      case 'order':
        rows.sort(byKeys(stage.keys));
        break;
      case 'top':
        rows = rows.sort(byKeys([stage.key])).slice(0, stage.count);
        break;
      case 'take':
        rows = rows.slice(0, stage.count);
        break;
    }
  }
  return rows;
}
