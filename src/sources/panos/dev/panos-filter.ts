import ipaddr from 'ipaddr.js';

/**
 * A reader for PAN-OS log filters, the Monitor tab's query language: `( addr.src in 10.1.2.3 ) and
 * ( receive_time geq '2026/11/29 10:00:00' )`. Values are bare words or single-quoted text; `and`, `or`, `not` and
 * parentheses combine comparisons. Only the fields and operators below are known; anything else is refused.
 */

export class PanFilterError extends Error {
  override readonly name = 'PanFilterError';
}

interface Token {
  kind: 'word' | 'quoted' | 'paren';
  value: string;
  at: number;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index] ?? '';
    if (/\s/.test(char)) {
      index += 1;
    } else if (char === '(' || char === ')') {
      tokens.push({ kind: 'paren', value: char, at: index });
      index += 1;
    } else if (char === "'") {
      const end = text.indexOf("'", index + 1);
      if (end === -1) throw new PanFilterError(`unterminated quote at ${index}`);
      tokens.push({ kind: 'quoted', value: text.slice(index + 1, end), at: index });
      index = end + 1;
    } else {
      let end = index;
      while (end < text.length && !/[\s()']/.test(text[end] ?? '')) end += 1;
      tokens.push({ kind: 'word', value: text.slice(index, end), at: index });
      index = end;
    }
  }
  return tokens;
}

export type PanOperator = 'eq' | 'neq' | 'in' | 'notin' | 'geq' | 'leq';
export type PanField = 'addr.src' | 'addr.dst' | 'port.dst' | 'receive_time' | 'action' | 'app' | 'proto';

export type PanFilter =
  | { kind: 'compare'; field: PanField; op: PanOperator; value: string }
  | { kind: 'and' | 'or'; left: PanFilter; right: PanFilter }
  | { kind: 'not'; operand: PanFilter };

const FIELDS: readonly PanField[] = ['addr.src', 'addr.dst', 'port.dst', 'receive_time', 'action', 'app', 'proto'];
const OPERATORS: readonly PanOperator[] = ['eq', 'neq', 'in', 'notin', 'geq', 'leq'];
const PAN_TIME = /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}$/;

class Parser {
  private position = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private fail(message: string): never {
    const token = this.peek();
    throw new PanFilterError(`${message} at ${token ? `${token.at} (${JSON.stringify(token.value)})` : 'end of query'}`);
  }

  private isWord(value: string): boolean {
    const token = this.peek();
    return token?.kind === 'word' && token.value === value;
  }

  parse(): PanFilter {
    const filter = this.or();
    if (this.peek()) this.fail('unexpected text');
    return filter;
  }

  private or(): PanFilter {
    let left = this.and();
    while (this.isWord('or')) {
      this.position += 1;
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): PanFilter {
    let left = this.unary();
    while (this.isWord('and')) {
      this.position += 1;
      left = { kind: 'and', left, right: this.unary() };
    }
    return left;
  }

  private unary(): PanFilter {
    if (this.isWord('not')) {
      this.position += 1;
      return { kind: 'not', operand: this.unary() };
    }
    const token = this.peek();
    if (token?.kind === 'paren' && token.value === '(') {
      this.position += 1;
      const inner = this.or();
      const close = this.peek();
      if (close?.kind !== 'paren' || close.value !== ')') this.fail('expected )');
      this.position += 1;
      return inner;
    }
    return this.compare();
  }

  private compare(): PanFilter {
    const field = this.peek();
    if (field?.kind !== 'word' || !FIELDS.includes(field.value as PanField)) this.fail('unknown field');
    this.position += 1;
    const op = this.peek();
    if (op?.kind !== 'word' || !OPERATORS.includes(op.value as PanOperator)) this.fail('unknown operator');
    this.position += 1;
    const value = this.peek();
    if (value?.kind !== 'word' && value?.kind !== 'quoted') this.fail('expected a value');
    this.position += 1;
    const compare = { kind: 'compare' as const, field: field.value as PanField, op: op.value as PanOperator, value: value.value };
    validateValue(compare, this.fail.bind(this));
    return compare;
  }
}

function validateValue(compare: Extract<PanFilter, { kind: 'compare' }>, fail: (message: string) => never): void {
  if (compare.field.startsWith('addr.') && !ipaddr.isValid(compare.value) && !ipaddr.isValidCIDR(compare.value)) fail('not an address');
  if (compare.field === 'receive_time' && !PAN_TIME.test(compare.value)) fail('not a YYYY/MM/DD HH:MM:SS time');
  if (compare.field === 'port.dst' && !/^\d{1,5}$/.test(compare.value)) fail('not a port');
}

export function parsePanFilter(text: string): PanFilter {
  return new Parser(tokenize(text)).parse();
}

/** The fields of a traffic log entry the filter can test, all as PAN-OS writes them. */
export type FilterableEntry = Record<PanField, string>;

function addressMatches(address: string, value: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address);
  if (!value.includes('/')) return parsed.toString() === ipaddr.process(value).toString();
  const [network, bits] = ipaddr.parseCIDR(value);
  return parsed.kind() === network.kind() && parsed.match([network, bits]);
}

function compareValue(entry: FilterableEntry, { field, op, value }: Extract<PanFilter, { kind: 'compare' }>): boolean {
  const actual = entry[field];
  switch (op) {
    case 'eq':
    case 'in':
      return field.startsWith('addr.') ? addressMatches(actual, value) : actual === value;
    case 'neq':
    case 'notin':
      return field.startsWith('addr.') ? !addressMatches(actual, value) : actual !== value;
    // Local wall-clock text in one fixed format compares in time order as text.
    case 'geq':
      return field === 'port.dst' ? Number(actual) >= Number(value) : actual >= value;
    case 'leq':
      return field === 'port.dst' ? Number(actual) <= Number(value) : actual <= value;
  }
}

export function matchesFilter(filter: PanFilter, entry: FilterableEntry): boolean {
  switch (filter.kind) {
    case 'compare':
      return compareValue(entry, filter);
    case 'and':
      return matchesFilter(filter.left, entry) && matchesFilter(filter.right, entry);
    case 'or':
      return matchesFilter(filter.left, entry) || matchesFilter(filter.right, entry);
    case 'not':
      return !matchesFilter(filter.operand, entry);
  }
}

/** Every value compared with `field` (e.g. the addresses and time bounds the query asked for). */
export function valuesOf(filter: PanFilter, field: PanField): string[] {
  if (filter.kind === 'compare') return filter.field === field ? [filter.value] : [];
  if (filter.kind === 'not') return valuesOf(filter.operand, field);
  return [...valuesOf(filter.left, field), ...valuesOf(filter.right, field)];
}
