import { KqlSyntaxError } from './kql-lexer.js';
import { parsePipeline, type Assignment, type BinaryOp, type Expr, type Operator } from './kql-parser.js';
import { checkPipeline, type ColumnType } from './kql-pipeline.js';
import { MDE_COLUMNS } from './mde-rows.js';

/** Which hosts a query asks for, per matcher. */
export interface HostFilter {
  deviceNames: string[];
  shortNames: string[];
  deviceIds: string[];
  localIps: string[];
}

/** Rows with a Timestamp before `until` only when ingested at or after `ingestedSince` (datetime literal texts). */
export interface CoveredRead {
  until: string;
  ingestedSince: string;
}

export interface RowsCursor {
  timestamp: string;
  deviceId: string;
  reportId: number;
}

export interface Aggregate {
  name: string;
  fn: 'count' | 'min' | 'max';
  column?: string;
}

interface QueryBase {
  table: 'DeviceNetworkEvents';
  /** Datetime literal texts, [from, to). */
  from: string;
  to: string;
  actionTypes: string[];
  /** The operators in order, e.g. ["where", "where", "where", "project", "order", "take"]. */
  pipeline: Operator['kind'][];
}

interface HostQuery extends QueryBase {
  hosts: HostFilter;
  take: number;
}

export type HuntingQuery =
  | (HostQuery & { kind: 'rows'; columns: string[]; covered?: CoveredRead; after?: RowsCursor })
  | (HostQuery & { kind: 'summarize'; aggregates: Aggregate[]; by: string[]; keyColumn: string; afterKey?: string })
  /** An aggregate over every device: no host filter, any supported operators after the time and ActionType filters. */
  | (QueryBase & { kind: 'estate'; hosts?: undefined; take?: undefined; stages: Operator[]; columns: ColumnType[] });

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,7})?Z$/;
const KNOWN_COLUMNS = new Set<string>(MDE_COLUMNS.map((column) => column.name));

const reject = (message: string): never => {
  throw new KqlSyntaxError(message);
};

const isColumn = (expr: Expr, name: string) => expr.kind === 'column' && expr.name === name;

function binary(expr: Expr, op: BinaryOp): { left: Expr; right: Expr } {
  if (expr.kind !== 'binary' || expr.op !== op) return reject(`expected ${op}`);
  return expr;
}

function datetimeOf(expr: Expr): string {
  if (expr.kind !== 'datetime' || !DATETIME.test(expr.text)) return reject('expected a UTC datetime literal');
  return expr.text;
}

function stringOf(expr: Expr): string {
  if (expr.kind !== 'string') return reject('expected a string literal');
  return expr.value;
}

function numberOf(expr: Expr): number {
  if (expr.kind !== 'number') return reject('expected a number');
  return expr.value;
}

function knownColumn(name: string): string {
  if (!KNOWN_COLUMNS.has(name)) reject(`Failed to resolve scalar expression named '${name}'`);
  return name;
}

/** `Timestamp >= datetime(a) and Timestamp < datetime(b)` */
function readTimeRange(predicate: Expr): { from: string; to: string } {
  const { left, right } = binary(predicate, 'and');
  const lower = binary(left, '>=');
  const upper = binary(right, '<');
  if (!isColumn(lower.left, 'Timestamp') || !isColumn(upper.left, 'Timestamp')) reject('the first filter must bound Timestamp');
  return { from: datetimeOf(lower.right), to: datetimeOf(upper.right) };
}

/** `ActionType in ("...", ...)` */
function readActionTypes(predicate: Expr): string[] {
  if (predicate.kind !== 'in' || predicate.caseInsensitive || !isColumn(predicate.left, 'ActionType')) {
    return reject('the second filter must be ActionType in (...)');
  }
  return predicate.values.map(stringOf);
}

function orTerms(expr: Expr): Expr[] {
  return expr.kind === 'binary' && expr.op === 'or' ? [...orTerms(expr.left), ...orTerms(expr.right)] : [expr];
}

/** `tostring(split(DeviceName, ".")[0])` */
function isFirstLabel(expr: Expr): boolean {
  if (expr.kind !== 'call' || expr.name !== 'tostring' || expr.args.length !== 1) return false;
  const indexed = expr.args[0];
  if (indexed?.kind !== 'index' || indexed.index !== 0) return false;
  const split = indexed.target;
  return (
    split.kind === 'call' &&
    split.name === 'split' &&
    split.args.length === 2 &&
    split.args[0] !== undefined &&
    isColumn(split.args[0], 'DeviceName') &&
    split.args[1]?.kind === 'string' &&
    split.args[1].value === '.'
  );
}

/** An or-chain of host matchers, each over string literals only. */
function readHosts(predicate: Expr): HostFilter {
  const hosts: HostFilter = { deviceNames: [], shortNames: [], deviceIds: [], localIps: [] };
  for (const term of orTerms(predicate)) {
    if (term.kind !== 'in') return reject('a host filter term must be an in/in~ list');
    const values = term.values.map(stringOf);
    if (term.caseInsensitive && isColumn(term.left, 'DeviceName')) hosts.deviceNames.push(...values);
    else if (term.caseInsensitive && isFirstLabel(term.left)) hosts.shortNames.push(...values);
    else if (!term.caseInsensitive && isColumn(term.left, 'DeviceId')) hosts.deviceIds.push(...values);
    else if (!term.caseInsensitive && isColumn(term.left, 'LocalIP')) hosts.localIps.push(...values);
    else reject('unsupported host filter term');
  }
  return hosts;
}

/**
 * `Timestamp > datetime(t) or (Timestamp == datetime(t) and (strcmp(DeviceId, "d") > 0 or
 * (DeviceId == "d" and ReportId > n)))`
 */
function readRowsCursor(predicate: Expr): RowsCursor {
  const { left: after, right: tie } = binary(predicate, 'or');
  const later = binary(after, '>');
  const sameTime = binary(tie, 'and');
  const equalTime = binary(sameTime.left, '==');
  const { left: laterDevice, right: sameDevice } = binary(sameTime.right, 'or');
  const deviceCompare = binary(laterDevice, '>');
  const { left: equalDevice, right: laterReport } = binary(sameDevice, 'and');
  const deviceEquals = binary(equalDevice, '==');
  const reportCompare = binary(laterReport, '>');
  const [compared, device, ...extra] = deviceCompare.left.kind === 'call' && deviceCompare.left.name === 'strcmp' ? deviceCompare.left.args : [];
  if (
    !isColumn(later.left, 'Timestamp') ||
    !isColumn(equalTime.left, 'Timestamp') ||
    !compared ||
    !device ||
    extra.length > 0 ||
    !isColumn(compared, 'DeviceId') ||
    numberOf(deviceCompare.right) !== 0 ||
    !isColumn(deviceEquals.left, 'DeviceId') ||
    !isColumn(reportCompare.left, 'ReportId')
  ) {
    return reject('unsupported continuation filter');
  }
  const timestamp = datetimeOf(later.right);
  const deviceId = stringOf(device);
  if (datetimeOf(equalTime.right) !== timestamp || stringOf(deviceEquals.right) !== deviceId) {
    reject('continuation filter compares different tuples');
  }
  return { timestamp, deviceId, reportId: numberOf(reportCompare.right) };
}

const isIngestionTime = (expr: Expr | undefined) => expr?.kind === 'call' && expr.name === 'ingestion_time' && expr.args.length === 0;

/**
 * `Timestamp >= datetime(u) or isnull(ingestion_time()) or ingestion_time() >= datetime(i)`; undefined when the
 * filter does not start with `Timestamp >=` (a continuation filter starts with `Timestamp >`).
 */
function readCovered(predicate: Expr): CoveredRead | undefined {
  const [timestamp, nullIngestion, ingested, ...extra] = orTerms(predicate);
  if (timestamp?.kind !== 'binary' || timestamp.op !== '>=' || !isColumn(timestamp.left, 'Timestamp')) return undefined;
  const isNull = nullIngestion?.kind === 'call' && nullIngestion.name === 'isnull' && nullIngestion.args.length === 1 && isIngestionTime(nullIngestion.args[0]);
  if (!isNull || !ingested || extra.length > 0) return reject('unsupported ingestion filter');
  const since = binary(ingested, '>=');
  if (!isIngestionTime(since.left)) return reject('unsupported ingestion filter');
  return { until: datetimeOf(timestamp.right), ingestedSince: datetimeOf(since.right) };
}

function readAggregate({ name, expr }: Assignment): Aggregate {
  if (expr.kind !== 'call') return reject(`unsupported aggregate ${name}`);
  if (expr.name === 'count' && expr.args.length === 0) return { name, fn: 'count' };
  const column = expr.args[0];
  if ((expr.name === 'min' || expr.name === 'max') && expr.args.length === 1 && column?.kind === 'column') {
    return { name, fn: expr.name, column: knownColumn(column.name) };
  }
  return reject(`unsupported aggregate ${expr.name}`);
}

/** `Key = hash_sha256(tostring(pack_array(by columns...)))` */
function readGroupKey(operator: Operator | undefined, by: readonly string[]): string {
  const assignment = operator?.kind === 'extend' && operator.columns.length === 1 ? operator.columns[0] : undefined;
  if (!assignment) return reject('expected extend of the group key');
  const { name, expr } = assignment;
  const text = expr.kind === 'call' && expr.name === 'hash_sha256' ? expr.args[0] : undefined;
  const pack = text?.kind === 'call' && text.name === 'tostring' ? text.args[0] : undefined;
  const columns = pack?.kind === 'call' && pack.name === 'pack_array' ? pack.args : [];
  const same = columns.length === by.length && columns.every((column, index) => column.kind === 'column' && column.name === by[index]);
  if (!same) reject('the group key must hash exactly the summarize-by columns');
  return name;
}

/** `strcmp(Key, "...") > 0` */
function readKeyCursor(predicate: Expr, keyColumn: string): string {
  const { left, right } = binary(predicate, '>');
  const [compared, key, ...extra] = left.kind === 'call' && left.name === 'strcmp' ? left.args : [];
  if (!compared || !key || extra.length > 0 || !isColumn(compared, keyColumn) || numberOf(right) !== 0) {
    return reject('unsupported continuation filter');
  }
  return stringOf(key);
}

function expectOrder(operator: Operator | undefined, columns: readonly string[]): void {
  const keys = operator?.kind === 'order' ? operator.keys : [];
  const same = keys.length === columns.length && keys.every((key, index) => key.column === columns[index] && key.direction === 'asc');
  if (!same) reject(`expected order by ${columns.map((column) => `${column} asc`).join(', ')}`);
}

function takeOf(operator: Operator | undefined): number {
  if (operator?.kind !== 'take' || operator.count < 1) return reject('expected take with a positive row count');
  return operator.count;
}

const predicateOf = (operator: Operator | undefined): Expr =>
  operator?.kind === 'where' ? operator.predicate : reject('expected a where filter');

/** Estate-wide queries are aggregates: the fake serves no raw events without a host filter. */
function readEstate(base: QueryBase, stages: Operator[]): HuntingQuery {
  if (!stages.some((stage) => stage.kind === 'summarize')) reject('a query without a host filter must summarize');
  return { ...base, kind: 'estate', stages, columns: checkPipeline(stages, MDE_COLUMNS) };
}

const plainColumn = ({ name, expr }: Assignment): string =>
  expr.kind === 'column' && expr.name === name ? knownColumn(name) : reject('the baseline groups by plain columns');

/**
 * Reads a hunting query into what the fake executes. Queries with a host filter must have the shapes the MDE
 * connector builds; anything else (an extra operator, a filter term that is not a literal list) is refused, which is
 * how a host name that escaped its string literal would show up. Without a host filter only aggregates are served.
 */
export function readHuntingQuery(text: string): HuntingQuery {
  const { table, operators } = parsePipeline(text);
  if (table !== 'DeviceNetworkEvents') reject(`unsupported table ${table}`);
  const [time, action, host, ...rest] = operators;
  const filters = {
    table: 'DeviceNetworkEvents' as const,
    ...readTimeRange(predicateOf(time)),
    actionTypes: readActionTypes(predicateOf(action)),
    pipeline: operators.map((operator) => operator.kind),
  };
  if (host?.kind !== 'where') return readEstate(filters, operators.slice(2));
  const base = { ...filters, hosts: readHosts(host.predicate) };
  const first = rest[0];
  if (first?.kind === 'summarize') {
    const by = first.by.map(plainColumn);
    const aggregates = first.aggregates.map(readAggregate);
    const keyColumn = readGroupKey(rest[1], by);
    const tail = rest.slice(2);
    const afterKey = tail[0]?.kind === 'where' ? readKeyCursor(tail[0].predicate, keyColumn) : undefined;
    const [order, take, ...extra] = afterKey === undefined ? tail : tail.slice(1);
    expectOrder(order, [keyColumn]);
    if (extra.length > 0) reject('unexpected operator after take');
    return { ...base, kind: 'summarize', aggregates, by, keyColumn, afterKey, take: takeOf(take) };
  }
  const covered = first?.kind === 'where' ? readCovered(first.predicate) : undefined;
  const continued = covered === undefined ? rest : rest.slice(1);
  const after = continued[0]?.kind === 'where' ? readRowsCursor(continued[0].predicate) : undefined;
  const [project, order, take, ...extra] = after === undefined ? continued : continued.slice(1);
  if (project?.kind !== 'project') return reject('expected project');
  expectOrder(order, ['Timestamp', 'DeviceId', 'ReportId']);
  if (extra.length > 0) reject('unexpected operator after take');
  return { ...base, kind: 'rows', columns: project.columns.map(knownColumn), covered, after, take: takeOf(take) };
}
