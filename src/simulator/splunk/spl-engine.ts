import { SplSyntaxError } from './spl-lexer.js';
import type { SplCommand, SplExpr } from './spl-parser.js';
import type { IndexedEvent } from './sysmon-events.js';

/** A result row as the results endpoint serialises it: field name to string value. */
export type ResultRow = Record<string, string>;

type Value = string | number | boolean | string[] | undefined;

const FUNCTIONS: Readonly<Record<string, number>> = { lower: 1, split: 2, mvindex: 2 };

/** Refuses, before the job runs, what splunkd would refuse at parse time: unknown functions, wrong arity. */
export function validateCommands(commands: readonly SplCommand[]): void {
  const check = (expr: SplExpr): void => {
    if (expr.kind === 'call') {
      if (FUNCTIONS[expr.name] !== expr.args.length) throw new SplSyntaxError(`Unknown function or wrong arguments: ${expr.name}`);
      expr.args.forEach(check);
    } else if (expr.kind === 'compare' || expr.kind === 'and' || expr.kind === 'or') {
      check(expr.left);
      check(expr.right);
    } else if (expr.kind === 'not') {
      check(expr.operand);
    }
  };
  for (const command of commands) if (command.kind === 'where') check(command.predicate);
}

function fieldValue(event: IndexedEvent, name: string): string | number | undefined {
  return name === '_time' ? event.time / 1_000 : event.fields[name];
}

function evaluate(expr: SplExpr, event: IndexedEvent): Value {
  switch (expr.kind) {
    case 'string':
    case 'number':
      return expr.value;
    case 'field':
      return fieldValue(event, expr.name);
    case 'not':
      return !evaluate(expr.operand, event);
    case 'and':
      return Boolean(evaluate(expr.left, event)) && Boolean(evaluate(expr.right, event));
    case 'or':
      return Boolean(evaluate(expr.left, event)) || Boolean(evaluate(expr.right, event));
    case 'compare': {
      const left = evaluate(expr.left, event);
      const right = evaluate(expr.right, event);
      if (left === undefined || right === undefined) return false;
      return (String(left) === String(right)) === (expr.op === '==');
    }
    case 'call': {
      const [first, second] = expr.args.map((arg) => evaluate(arg, event));
      if (expr.name === 'lower') return typeof first === 'string' ? first.toLowerCase() : first;
      if (expr.name === 'split') return typeof first === 'string' && typeof second === 'string' ? first.split(second) : undefined;
      const values = Array.isArray(first) ? first : first === undefined ? [] : [String(first)];
      return typeof second === 'number' ? values[second] : undefined;
    }
  }
}

/** A search term's value: case-insensitive, `*` matching any run of characters. */
function termMatches(value: string | undefined, pattern: string): boolean {
  if (value === undefined) return false;
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
  return regex.test(value);
}

/** Splunk's JSON rendering of `_time`: ISO 8601 with milliseconds and the user's offset (UTC here). */
const isoTime = (ms: number) => new Date(ms).toISOString().replace('Z', '+00:00');
const epochText = (ms: number) => (ms / 1_000).toFixed(3);

function stats(command: Extract<SplCommand, { kind: 'stats' }>, events: readonly IndexedEvent[]): ResultRow[] {
  const groups = new Map<string, { by: string[]; events: IndexedEvent[] }>();
  for (const event of events) {
    const by = command.by.map((name) => event.fields[name]);
    // stats drops events that lack a by-field, which is why the connector runs fillnull first.
    if (by.some((value) => value === undefined)) continue;
    const values = by as string[];
    const key = JSON.stringify(values);
    const group = groups.get(key) ?? { by: values, events: [] };
    group.events.push(event);
    groups.set(key, group);
  }
  return [...groups.values()]
    .sort((a, b) => (JSON.stringify(a.by) < JSON.stringify(b.by) ? -1 : 1))
    .map((group) => {
      const row: ResultRow = Object.fromEntries(command.by.map((name, index) => [name, group.by[index] ?? '']));
      for (const aggregate of command.aggregates) {
        if (aggregate.fn === 'count') {
          row[aggregate.as] = String(group.events.length);
          continue;
        }
        const numbers = group.events.map((event) => Number(fieldValue(event, aggregate.field ?? ''))).filter((n) => !Number.isNaN(n));
        if (numbers.length === 0) continue;
        const value = aggregate.fn === 'min' ? Math.min(...numbers) : Math.max(...numbers);
        row[aggregate.as] = aggregate.field === '_time' ? epochText(value * 1_000) : String(value);
      }
      return row;
    });
}

/** Runs a read search over the indexed events, as a finished job's results would show it. */
export function runSearch(commands: readonly SplCommand[], events: readonly IndexedEvent[]): ResultRow[] {
  let current: IndexedEvent[] = [...events].sort((a, b) => b.time - a.time);
  for (const command of commands) {
    switch (command.kind) {
      case 'search':
        current = current.filter((event) => command.terms.every((term) => termMatches(event.fields[term.field], term.value)));
        break;
      case 'where':
        current = current.filter((event) => evaluate(command.predicate, event) === true);
        break;
      case 'fillnull':
        current = current.map((event) => ({
          time: event.time,
          fields: { ...Object.fromEntries(command.fields.map((name) => [name, command.value])), ...event.fields },
        }));
        break;
      case 'stats':
        return stats(command, current);
      case 'table':
        return current.map((event) =>
          Object.fromEntries(
            command.fields.flatMap((name) => {
              if (name === '_time') return [[name, isoTime(event.time)]];
              const value = event.fields[name];
              return value === undefined ? [] : [[name, value]];
            }),
          ),
        );
    }
  }
  return current.map((event) => ({ _time: isoTime(event.time), ...event.fields }));
}
