import { isAggregateCall, readAggregator, type Aggregator } from './cql-aggregates.js';
import { CqlSyntaxError } from './cql-lexer.js';
import { parseQuery, type Argument, type Call, type Comparison, type Filter, type Value } from './cql-parser.js';

/** The process join of a query: `ProcessRollup2` of these devices, from `startMs`, at most `limit` of them. */
export interface ProcessJoin {
  aids: string[];
  startMs: number;
  include: string[];
  limit: number;
}

/** `join()`'s own `limit` when a query names none. */
const JOIN_DEFAULT_LIMIT = 100_000;

/** Events before `untilMs` only when ingested at or after `ingestedSinceMs`. */
export interface CoveredFilter {
  untilMs: number;
  ingestedSinceMs: number;
}

interface QueryBase {
  eventNames: string[];
  /** The devices read; absent for an estate-wide query. */
  aids?: string[];
  covered?: CoveredFilter;
  join?: ProcessJoin;
}

/** A stage after the aggregation starts: another aggregate, or a comparison filter on its output. */
export type AggregateStage = { kind: 'aggregate'; aggregator: Aggregator } | { kind: 'compare'; field: string; operator: Comparison; value: number };

export type JobQuery =
  | (QueryBase & { kind: 'events'; excludeIds: string[]; limit: number })
  | (QueryBase & { kind: 'aggregate'; defaults?: { fields: string[]; value: string }; stages: AggregateStage[] });

const reject = (message: string): never => {
  throw new CqlSyntaxError(message);
};

const argument = (call: Call, name: string): Value | undefined => call.args.find((arg: Argument) => arg.name === name)?.value;

function stringOf(value: Value | undefined): string {
  return value?.kind === 'string' ? value.value : reject('expected a string literal');
}

function numberOf(value: Value | undefined): number {
  return value?.kind === 'number' ? value.value : reject('expected a number');
}

function namesOf(value: Value | undefined): string[] {
  if (value?.kind !== 'array') return reject('expected a list of field names');
  return value.items.map((item) => (item.kind === 'name' ? item.name : reject('expected a field name')));
}

function stringsOf(value: Value | undefined): string[] {
  if (value?.kind !== 'array') return reject('expected a list of strings');
  return value.items.map((item) => stringOf(item));
}

function callOf(filter: Filter | undefined, name: string): Call {
  return filter?.kind === 'call' && filter.call.name === name ? filter.call : reject(`expected ${name}()`);
}

/** `in(field="<field>", values=[...])` */
function readIn(filter: Filter | undefined, field: string): string[] {
  const call = callOf(filter, 'in');
  if (stringOf(argument(call, 'field')) !== field || call.args.length !== 2) reject(`expected in(field="${field}", values=[...])`);
  return stringsOf(argument(call, 'values'));
}

/** `#event_simpleName="A" or #event_simpleName="B"` */
function readEventNames(filter: Filter | undefined): string[] {
  const terms = filter?.kind === 'or' ? filter.terms : filter ? [filter] : [];
  return terms.map((term) => (term.kind === 'field' && term.field === '#event_simpleName' ? stringOf(term.value) : reject('expected #event_simpleName filters')));
}

/** `join({#event_simpleName="ProcessRollup2" | in(aid)}, field=[aid, ContextProcessId], key=[aid, TargetProcessId], include=[...], mode=left, start=N)` */
function readJoin(filter: Filter | undefined): ProcessJoin {
  const call = callOf(filter, 'join');
  const subquery = call.args.find((arg) => arg.name === undefined)?.value;
  if (subquery?.kind !== 'query' || subquery.stages.length !== 2) return reject('expected a two-stage join subquery');
  const [names, devices] = subquery.stages;
  if (readEventNames(names).join() !== 'ProcessRollup2') reject('the join subquery must read ProcessRollup2');
  const same = (value: Value | undefined, expected: string[]) => namesOf(value).join() === expected.join();
  if (!same(argument(call, 'field'), ['aid', 'ContextProcessId']) || !same(argument(call, 'key'), ['aid', 'TargetProcessId'])) {
    reject('the join must match aid + ContextProcessId to aid + TargetProcessId');
  }
  const mode = argument(call, 'mode');
  if (mode?.kind !== 'name' || mode.name !== 'left') reject('the join must be mode=left');
  const limit = argument(call, 'limit');
  return {
    aids: readIn(devices, 'aid'),
    startMs: numberOf(argument(call, 'start')),
    include: namesOf(argument(call, 'include')),
    limit: limit === undefined ? JOIN_DEFAULT_LIMIT : numberOf(limit),
  };
}

const COVERED_SHAPE = 'expected (@timestamp >= N or @ingesttimestamp >= N or not (@ingesttimestamp = *))';

/** `(@timestamp >= U or @ingesttimestamp >= S or not (@ingesttimestamp = *))` */
function readCovered(filter: Filter): CoveredFilter {
  const [timestamp, ingested, unstamped, ...extra] = filter.kind === 'or' ? filter.terms : [];
  const bound = (term: Filter | undefined, field: string) =>
    term?.kind === 'compare' && term.field === field && term.operator === '>=' ? term.value : reject(COVERED_SHAPE);
  const absent = unstamped?.kind === 'not' && unstamped.inner.kind === 'field' && unstamped.inner.field === '@ingesttimestamp' && unstamped.inner.value.kind === 'any';
  if (!absent || extra.length > 0) reject(COVERED_SHAPE);
  return { untilMs: bound(timestamp, '@timestamp'), ingestedSinceMs: bound(ingested, '@ingesttimestamp') };
}

function readStage(filter: Filter): AggregateStage {
  if (filter.kind === 'compare') return { kind: 'compare', field: filter.field, operator: filter.operator, value: filter.value };
  if (filter.kind === 'call' && isAggregateCall(filter.call)) return { kind: 'aggregate', aggregator: readAggregator(filter.call) };
  return reject('expected an aggregate function or a comparison after the aggregation');
}

/**
 * Reads a query job's query into what the fake runs. Only the shapes the Falcon connector builds are accepted: the
 * event names, optionally the devices, the ingestion filter, the paging filter and the process join, then either `head()` or
 * `default()` and aggregate stages. Anything else (an extra stage, a filter that is not a literal list) is refused,
 * which is how a value that escaped its string literal would show up.
 */
export function readJobQuery(text: string): JobQuery {
  const stages = parseQuery(text);
  const base: QueryBase = { eventNames: readEventNames(stages[0]) };
  let index = 1;
  const devices = stages[index];
  if (devices?.kind === 'call' && devices.call.name === 'in') {
    base.aids = readIn(devices, 'aid');
    index += 1;
  }
  const covered = stages[index];
  if (covered?.kind === 'or') {
    base.covered = readCovered(covered);
    index += 1;
  }
  const excludeIds: string[] = [];
  const maybeNot = stages[index];
  if (maybeNot?.kind === 'not') {
    excludeIds.push(...readIn(maybeNot.inner, '@id'));
    index += 1;
  }
  const joinStage = stages[index];
  if (joinStage?.kind === 'call' && joinStage.call.name === 'join') {
    base.join = readJoin(joinStage);
    index += 1;
  }
  const [first, ...rest] = stages.slice(index);
  if (first?.kind === 'call' && first.call.name === 'head') {
    if (rest.length > 0) reject('unexpected stage after head()');
    return { ...base, kind: 'events', excludeIds, limit: numberOf(argument(first.call, 'limit')) };
  }
  if (excludeIds.length > 0) reject('an aggregate query has no paging filter');
  const defaults = callOf(first, 'default');
  if (stringOf(argument(defaults, 'value')) !== '') reject('default() must set ""');
  const aggregation = rest.map(readStage);
  if (aggregation[0]?.kind !== 'aggregate') reject('default() must be followed by an aggregate function');
  return { ...base, kind: 'aggregate', defaults: { fields: namesOf(argument(defaults, 'field')), value: '' }, stages: aggregation };
}
