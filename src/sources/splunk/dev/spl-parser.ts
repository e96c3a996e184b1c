import { SplSyntaxError, tokenizeSpl, type SplToken } from './spl-lexer.js';

export type SplExpr =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'field'; name: string }
  | { kind: 'call'; name: string; args: SplExpr[] }
  | { kind: 'compare'; op: CompareOp; left: SplExpr; right: SplExpr }
  | { kind: 'and' | 'or'; left: SplExpr; right: SplExpr }
  | { kind: 'not'; operand: SplExpr };

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

export interface StatsAggregate {
  fn: 'count' | 'min' | 'max' | 'dc';
  field?: string;
  as: string;
}

export interface SortField {
  field: string;
  descending: boolean;
}

export type SplCommand =
  | { kind: 'search'; terms: { field: string; value: string }[] }
  | { kind: 'where'; predicate: SplExpr }
  | { kind: 'table'; fields: string[] }
  | { kind: 'fillnull'; value: string; fields: string[] }
  /** `by` is empty for stats over all events. */
  | { kind: 'stats'; aggregates: StatsAggregate[]; by: string[] }
  | { kind: 'eval'; assignments: { field: string; expr: SplExpr }[] }
  /** `limit` 0 returns every row; without a count, sort keeps 10,000. */
  | { kind: 'sort'; limit: number; fields: SortField[] };

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NUMBER = /^\d+$/;
const STATS_FUNCTIONS = ['count', 'min', 'max', 'dc'];
const COMPARISONS = ['==', '=', '!=', '<', '<=', '>', '>='];
/** sort's limit when the search gives none. */
const SORT_DEFAULT_LIMIT = 10_000;

/** A recursive-descent reader of the commands the fake runs; anything else is refused as splunkd would. */
class SplParser {
  private position = 0;

  constructor(private readonly tokens: readonly SplToken[]) {}

  private peek(offset = 0): SplToken | undefined {
    return this.tokens[this.position + offset];
  }

  private fail(message: string): never {
    const token = this.peek();
    throw new SplSyntaxError(`${message} at ${token ? `offset ${token.at} (${JSON.stringify(token.value)})` : 'end of search'}`);
  }

  private next(): SplToken {
    const token = this.peek();
    if (!token) this.fail('unexpected end');
    this.position += 1;
    return token;
  }

  private isPunct(value: string): boolean {
    const token = this.peek();
    return token?.kind === 'punct' && token.value === value;
  }

  private isWord(value: string): boolean {
    const token = this.peek();
    return token?.kind === 'word' && token.value === value;
  }

  private expectPunct(value: string): void {
    if (!this.isPunct(value)) this.fail(`expected ${value}`);
    this.position += 1;
  }

  private field(): string {
    const token = this.next();
    if (token.kind !== 'word' || !FIELD.test(token.value)) {
      this.position -= 1;
      this.fail('expected a field name');
    }
    return token.value;
  }

  private atCommandEnd(): boolean {
    return this.peek() === undefined || this.isPunct('|');
  }

  pipeline(): SplCommand[] {
    if (this.tokens.some((token) => token.kind === 'punct' && token.value === '[')) {
      this.position = this.tokens.findIndex((token) => token.kind === 'punct' && token.value === '[');
      this.fail('subsearches are not run by this fake');
    }
    const commands: SplCommand[] = [];
    for (;;) {
      commands.push(this.command(commands.length === 0));
      if (this.peek() === undefined) return commands;
      this.expectPunct('|');
    }
  }

  private command(first: boolean): SplCommand {
    const name = this.next();
    if (name.kind !== 'word') {
      this.position -= 1;
      this.fail('expected a search command');
    }
    if (first && name.value !== 'search') this.fail('the search must start with the search command');
    switch (name.value) {
      case 'search':
        if (!first) this.fail('only the first command may be search');
        return this.search();
      case 'where':
        return { kind: 'where', predicate: this.expression() };
      case 'table':
        return { kind: 'table', fields: this.fieldList() };
      case 'fillnull':
        return this.fillnull();
      case 'stats':
        return this.stats();
      case 'eval':
        return { kind: 'eval', assignments: this.assignments() };
      case 'sort':
        return this.sort();
      default:
        this.position -= 1;
        return this.fail(`Unknown search command '${name.value}'`);
    }
  }

  /** `field=value` terms, ANDed. */
  private search(): SplCommand {
    const terms: { field: string; value: string }[] = [];
    while (!this.atCommandEnd()) {
      const field = this.field();
      this.expectPunct('=');
      const value = this.next();
      if (value.kind === 'punct') {
        this.position -= 1;
        this.fail('expected a value');
      }
      terms.push({ field, value: value.value });
    }
    if (terms.length === 0) this.fail('empty search');
    return { kind: 'search', terms };
  }

  private fieldList(): string[] {
    const fields: string[] = [];
    while (!this.atCommandEnd() && !this.isWord('BY')) {
      fields.push(this.field());
      if (this.isPunct(',')) this.position += 1;
    }
    if (fields.length === 0) this.fail('expected at least one field');
    return fields;
  }

  private fillnull(): SplCommand {
    if (!this.isWord('value')) this.fail('expected value=');
    this.position += 1;
    this.expectPunct('=');
    const value = this.next();
    if (value.kind !== 'string') {
      this.position -= 1;
      this.fail('expected a quoted fill value');
    }
    return { kind: 'fillnull', value: value.value, fields: this.fieldList() };
  }

  /** `field=expr[, field=expr]` */
  private assignments(): { field: string; expr: SplExpr }[] {
    const assignments: { field: string; expr: SplExpr }[] = [];
    do {
      if (this.isPunct(',')) this.position += 1;
      const field = this.field();
      this.expectPunct('=');
      assignments.push({ field, expr: this.expression() });
    } while (this.isPunct(','));
    return assignments;
  }

  /** `sort [count] [+|-]field[, [+|-]field]`; the sign may be its own word or lead the field name. */
  private sort(): SplCommand {
    const count = this.peek();
    let limit = SORT_DEFAULT_LIMIT;
    if (count?.kind === 'word' && NUMBER.test(count.value)) {
      limit = Number(count.value);
      this.position += 1;
    }
    const fields: SortField[] = [];
    do {
      if (this.isPunct(',')) this.position += 1;
      const token = this.next();
      if (token.kind !== 'word') {
        this.position -= 1;
        this.fail('expected a sort field');
      }
      const sign = /^[+-]/.exec(token.value)?.[0];
      const name = sign === undefined ? token.value : token.value.slice(1);
      if (name === '') {
        fields.push({ field: this.field(), descending: sign === '-' });
        continue;
      }
      if (!FIELD.test(name)) {
        this.position -= 1;
        this.fail('expected a sort field');
      }
      fields.push({ field: name, descending: sign === '-' });
    } while (this.isPunct(','));
    if (!this.atCommandEnd()) this.fail('unexpected sort argument');
    return { kind: 'sort', limit, fields };
  }

  private stats(): SplCommand {
    const aggregates: StatsAggregate[] = [];
    do {
      if (this.isPunct(',')) this.position += 1;
      const fn = this.next();
      if (fn.kind !== 'word' || !STATS_FUNCTIONS.includes(fn.value)) {
        this.position -= 1;
        this.fail(`expected ${STATS_FUNCTIONS.join(', ')}`);
      }
      let field: string | undefined;
      if (fn.value !== 'count' || this.isPunct('(')) {
        this.expectPunct('(');
        field = this.field();
        this.expectPunct(')');
      }
      if (!this.isWord('AS')) this.fail('expected AS');
      this.position += 1;
      aggregates.push({ fn: fn.value as StatsAggregate['fn'], field, as: this.field() });
    } while (this.isPunct(','));
    if (this.atCommandEnd()) return { kind: 'stats', aggregates, by: [] };
    if (!this.isWord('BY')) this.fail('expected BY');
    this.position += 1;
    return { kind: 'stats', aggregates, by: this.fieldList() };
  }

  private expression(): SplExpr {
    let left = this.conjunction();
    while (this.isWord('OR')) {
      this.position += 1;
      left = { kind: 'or', left, right: this.conjunction() };
    }
    return left;
  }

  private conjunction(): SplExpr {
    let left = this.negation();
    while (this.isWord('AND')) {
      this.position += 1;
      left = { kind: 'and', left, right: this.negation() };
    }
    return left;
  }

  private negation(): SplExpr {
    if (this.isWord('NOT')) {
      this.position += 1;
      return { kind: 'not', operand: this.negation() };
    }
    const left = this.primary();
    const token = this.peek();
    if (token?.kind === 'punct' && COMPARISONS.includes(token.value)) {
      this.position += 1;
      const op = token.value === '=' ? '==' : (token.value as CompareOp);
      return { kind: 'compare', op, left, right: this.primary() };
    }
    return left;
  }

  private primary(): SplExpr {
    if (this.isPunct('(')) {
      this.position += 1;
      const inner = this.expression();
      this.expectPunct(')');
      return inner;
    }
    const token = this.next();
    if (token.kind === 'string') return { kind: 'string', value: token.value };
    if (token.kind === 'word' && NUMBER.test(token.value)) return { kind: 'number', value: Number(token.value) };
    if (token.kind === 'word' && FIELD.test(token.value) && !['AND', 'OR', 'NOT'].includes(token.value)) {
      if (!this.isPunct('(')) return { kind: 'field', name: token.value };
      this.position += 1;
      const args: SplExpr[] = [];
      while (!this.isPunct(')')) {
        args.push(this.expression());
        if (!this.isPunct(')')) this.expectPunct(',');
      }
      this.position += 1;
      return { kind: 'call', name: token.value, args };
    }
    this.position -= 1;
    return this.fail('expected a value, field or function');
  }
}

/** Reads a search into its commands; throws `SplSyntaxError` for anything the fake does not run. */
export function parseSpl(text: string): SplCommand[] {
  return new SplParser(tokenizeSpl(text)).pipeline();
}
