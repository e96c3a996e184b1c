import { KqlSyntaxError, tokenize, type Token } from './kql-lexer.js';

export type Expr =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'datetime'; text: string }
  | { kind: 'column'; name: string }
  | { kind: 'call'; name: string; args: Expr[] }
  | { kind: 'index'; target: Expr; index: number }
  | { kind: 'member'; target: Expr; name: string }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr }
  | { kind: 'in'; caseInsensitive: boolean; left: Expr; values: Expr[] };

export type BinaryOp = 'and' | 'or' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'startswith' | 'contains';

export interface Assignment {
  name: string;
  expr: Expr;
}

export interface SortKey {
  column: string;
  direction: 'asc' | 'desc';
}

export type Operator =
  | { kind: 'where'; predicate: Expr }
  | { kind: 'project'; columns: string[] }
  | { kind: 'order'; keys: SortKey[] }
  | { kind: 'take'; count: number }
  | { kind: 'top'; count: number; key: SortKey }
  /** `by` is empty for a summarize over the whole table; a plain column is `{ name: C, expr: C }`. */
  | { kind: 'summarize'; aggregates: Assignment[]; by: Assignment[] }
  | { kind: 'extend'; columns: Assignment[] }
  | { kind: 'mv-expand'; column: string; type?: string };

export interface Pipeline {
  table: string;
  operators: Operator[];
}

const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>=']);
const STRING_OPERATORS = new Set(['startswith', 'contains']);

/** A recursive-descent parser for `Table | op | op ...` with the operators and expressions the fake runs. */
class Parser {
  private position = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.position + offset];
  }

  private fail(message: string): never {
    const token = this.peek();
    throw new KqlSyntaxError(`${message} at ${token ? `offset ${token.at} (${JSON.stringify(token.value)})` : 'end of query'}`);
  }

  private next(): Token {
    const token = this.peek();
    if (!token) this.fail('unexpected end');
    this.position += 1;
    return token;
  }

  private isPunct(value: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token?.kind === 'punct' && token.value === value;
  }

  private isKeyword(value: string): boolean {
    const token = this.peek();
    return token?.kind === 'ident' && token.value === value;
  }

  private expectPunct(value: string): void {
    if (!this.isPunct(value)) this.fail(`expected ${value}`);
    this.position += 1;
  }

  private expectKeyword(value: string): void {
    if (!this.isKeyword(value)) this.fail(`expected ${value}`);
    this.position += 1;
  }

  private identifier(): string {
    const token = this.next();
    if (token.kind !== 'ident') {
      this.position -= 1;
      this.fail('expected a name');
    }
    return token.value;
  }

  private list<T>(item: () => T): T[] {
    const items = [item()];
    while (this.isPunct(',')) {
      this.position += 1;
      items.push(item());
    }
    return items;
  }

  pipeline(): Pipeline {
    const table = this.identifier();
    const operators: Operator[] = [];
    while (this.peek()) {
      this.expectPunct('|');
      operators.push(this.operator());
    }
    return { table, operators };
  }

  private operator(): Operator {
    const token = this.peek();
    const name = this.identifier();
    switch (name) {
      case 'where':
        return { kind: 'where', predicate: this.expression() };
      case 'project':
        return { kind: 'project', columns: this.list(() => this.identifier()) };
      case 'order':
      case 'sort':
        this.expectKeyword('by');
        return { kind: 'order', keys: this.list(() => this.sortKey()) };
      case 'take':
      case 'limit':
        return { kind: 'take', count: this.rowCount() };
      case 'top': {
        const count = this.rowCount();
        this.expectKeyword('by');
        return { kind: 'top', count, key: this.sortKey() };
      }
      case 'summarize': {
        const aggregates = this.list(() => this.assignment());
        if (!this.isKeyword('by')) return { kind: 'summarize', aggregates, by: [] };
        this.position += 1;
        return { kind: 'summarize', aggregates, by: this.list(() => this.groupKey()) };
      }
      case 'extend':
        return { kind: 'extend', columns: this.list(() => this.assignment()) };
      case 'mv':
        return this.mvExpand(token);
      default:
        this.position -= 1;
        return this.fail(`unsupported operator ${name}`);
    }
  }

  private rowCount(): number {
    const token = this.next();
    if (token.kind !== 'number') this.fail('expected a row count');
    return Number(token.value);
  }

  private sortKey(): SortKey {
    const column = this.identifier();
    if (this.isKeyword('asc') || this.isKeyword('desc')) return { column, direction: this.identifier() as 'asc' | 'desc' };
    // KQL sorts descending by default; the builder always says which.
    return { column, direction: 'desc' };
  }

  /** `Name = expr`, or a bare column that keeps its name. */
  private groupKey(): Assignment {
    if (this.isPunct('=', 1)) return this.assignment();
    const name = this.identifier();
    return { name, expr: { kind: 'column', name } };
  }

  /** `mv-expand Column [to typeof(type)]`, the dash part of the operator's name. */
  private mvExpand(start: Token | undefined): Operator {
    const dash = this.peek();
    const expand = this.peek(1);
    if (dash?.value !== '-' || dash.at !== (start?.at ?? -1) + 2 || expand?.value !== 'expand' || expand.at !== dash.at + 1) {
      this.fail('unsupported operator mv');
    }
    this.position += 2;
    const column = this.identifier();
    if (!this.isKeyword('to')) return { kind: 'mv-expand', column };
    this.position += 1;
    this.expectKeyword('typeof');
    this.expectPunct('(');
    const type = this.identifier();
    this.expectPunct(')');
    return { kind: 'mv-expand', column, type };
  }

  private assignment(): Assignment {
    const name = this.identifier();
    this.expectPunct('=');
    return { name, expr: this.expression() };
  }

  private expression(): Expr {
    return this.or();
  }

  private or(): Expr {
    let left = this.and();
    while (this.isKeyword('or')) {
      this.position += 1;
      left = { kind: 'binary', op: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): Expr {
    let left = this.comparison();
    while (this.isKeyword('and')) {
      this.position += 1;
      left = { kind: 'binary', op: 'and', left, right: this.comparison() };
    }
    return left;
  }

  private comparison(): Expr {
    const left = this.postfix();
    const token = this.peek();
    if ((token?.kind === 'punct' && COMPARISONS.has(token.value)) || (token?.kind === 'ident' && STRING_OPERATORS.has(token.value))) {
      this.position += 1;
      return { kind: 'binary', op: token.value as BinaryOp, left, right: this.postfix() };
    }
    if (this.isKeyword('in')) {
      const keyword = this.next();
      const tilde = this.peek();
      const caseInsensitive = tilde?.kind === 'punct' && tilde.value === '~' && tilde.at === keyword.at + 2;
      if (caseInsensitive) this.position += 1;
      this.expectPunct('(');
      const values = this.list(() => this.expression());
      this.expectPunct(')');
      return { kind: 'in', caseInsensitive, left, values };
    }
    return left;
  }

  private postfix(): Expr {
    let expr = this.primary();
    for (;;) {
      if (this.isPunct('.')) {
        this.position += 1;
        expr = { kind: 'member', target: expr, name: this.identifier() };
        continue;
      }
      if (!this.isPunct('[')) return expr;
      this.position += 1;
      const index = this.next();
      if (index.kind !== 'number') this.fail('expected an array index');
      this.expectPunct(']');
      expr = { kind: 'index', target: expr, index: Number(index.value) };
    }
  }

  private primary(): Expr {
    const token = this.next();
    switch (token.kind) {
      case 'string':
        return { kind: 'string', value: token.value };
      case 'number':
        return { kind: 'number', value: Number(token.value) };
      case 'datetime':
        return { kind: 'datetime', text: token.value };
      case 'ident':
        if (this.isPunct('(')) {
          this.position += 1;
          const args = this.isPunct(')') ? [] : this.list(() => this.expression());
          this.expectPunct(')');
          return { kind: 'call', name: token.value, args };
        }
        return { kind: 'column', name: token.value };
      case 'punct':
        if (token.value === '(') {
          const inner = this.expression();
          this.expectPunct(')');
          return inner;
        }
    }
    this.position -= 1;
    return this.fail('unexpected token');
  }
}

/** Parses a query into its pipeline; throws KqlSyntaxError on anything outside the supported subset. */
export function parsePipeline(text: string): Pipeline {
  return new Parser(tokenize(text)).pipeline();
}
