import { CqlSyntaxError } from './cql-lexer.js';
import { parseQuery, type Argument, type Call, type Filter, type Value } from './cql-parser.js';

/** The process join of a query: `ProcessRollup2` of these devices, from `startMs`. */
export interface ProcessJoin {
  aids: string[];
  startMs: number;
  include: string[];
}

interface QueryBase {
  eventNames: string[];
  aids: string[];
  join?: ProcessJoin;
}

export type JobQuery =
  | (QueryBase & { kind: 'events'; excludeIds: string[]; limit: number })
  | (QueryBase & { kind: 'baseline'; groupBy: string[]; aggregates: { fn: 'count' | 'min' | 'max'; as: string }[]; limit: number });

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
  return { aids: readIn(devices, 'aid'), startMs: numberOf(argument(call, 'start')), include: namesOf(argument(call, 'include')) };
}

function readAggregate(value: Value): { fn: 'count' | 'min' | 'max'; as: string } {
  if (value.kind !== 'call') return reject('expected an aggregate function');
  const { call } = value;
  const as = stringOrName(argument(call, 'as'));
  if (call.name === 'count' && call.args.length === 1) return { fn: 'count', as };
  const field = argument(call, 'field');
  if ((call.name === 'min' || call.name === 'max') && field?.kind === 'name' && field.name === '@timestamp') return { fn: call.name, as };
  return reject(`unsupported aggregate ${call.name}()`);
}

function stringOrName(value: Value | undefined): string {
  if (value?.kind === 'name') return value.name;
  return stringOf(value);
}

/**
 * Reads a query job's query into what the fake runs. Only the shapes the Falcon connector builds are accepted;
 * anything else (an extra stage, a filter that is not a literal list) is refused, which is how a value that
 * escaped its string literal would show up.
 */
export function readJobQuery(text: string): JobQuery {
  const stages = parseQuery(text);
  const base: QueryBase = { eventNames: readEventNames(stages[0]), aids: readIn(stages[1], 'aid') };
  let index = 2;
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
  const rest = stages.slice(index);
  const [first, second, ...extra] = rest;
  if (extra.length > 0) reject('unexpected stage');
  if (first?.kind === 'call' && first.call.name === 'head' && second === undefined) {
    return { ...base, kind: 'events', excludeIds, limit: numberOf(argument(first.call, 'limit')) };
  }
  const defaults = callOf(first, 'default');
  if (stringOf(argument(defaults, 'value')) !== '') reject('default() must set ""');
  namesOf(argument(defaults, 'field'));
  if (excludeIds.length > 0) reject('a baseline query has no paging filter');
  const groupBy = callOf(second, 'groupBy');
  const functions = argument(groupBy, 'function');
  if (functions?.kind !== 'array') return reject('groupBy needs function=[...]');
  return {
    ...base,
    kind: 'baseline',
    groupBy: namesOf(groupBy.args.find((arg) => arg.name === undefined)?.value),
    aggregates: functions.items.map(readAggregate),
    limit: numberOf(argument(groupBy, 'limit')),
  };
}
