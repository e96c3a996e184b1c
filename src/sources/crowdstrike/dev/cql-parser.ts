import { CqlSyntaxError, tokenize, type Token } from './cql-lexer.js';

export type Value =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'name'; name: string }
  /** `*`: any value, so `field = *` holds when the event has the field. */
  | { kind: 'any' }
  | { kind: 'array'; items: Value[] }
  | { kind: 'query'; stages: Filter[] }
  | { kind: 'call'; call: Call };

export interface Argument {
  /** Absent for the positional (unnamed) argument. */
  name?: string;
  value: Value;
}

export interface Call {
  name: string;
  args: Argument[];
}

export type Comparison = '<' | '<=' | '>' | '>=';

export type Filter =
  | { kind: 'or'; terms: Filter[] }
  | { kind: 'not'; inner: Filter }
  | { kind: 'field'; field: string; value: Value }
  | { kind: 'compare'; field: string; operator: Comparison; value: number }
  | { kind: 'call'; call: Call };

const COMPARISONS: readonly string[] = ['<', '<=', '>', '>='];

/** `stage | stage | ...`, each stage a filter or a function call; subqueries `{...}` nest the same grammar. */
class Parser {
  private position = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private fail(message: string): never {
    const token = this.peek();
    throw new CqlSyntaxError(`${message} at ${token ? `offset ${token.at} (${JSON.stringify(token.value)})` : 'end of query'}`);
  }

  private isPunct(value: string, offset = 0): boolean {
    const token = this.tokens[this.position + offset];
    return token?.kind === 'punct' && token.value === value;
  }

  private isKeyword(value: string): boolean {
    const token = this.peek();
    return token?.kind === 'name' && token.value.toLowerCase() === value;
  }

  private expect(value: string): void {
    if (!this.isPunct(value)) this.fail(`expected ${value}`);
    this.position += 1;
  }

  private name(): string {
    const token = this.peek();
    if (token?.kind !== 'name') this.fail('expected a name');
    this.position += 1;
    return token.value;
  }

  query(closing?: string): Filter[] {
    const stages = [this.filter()];
    while (this.isPunct('|')) {
      this.position += 1;
      stages.push(this.filter());
    }
    if (closing ? !this.isPunct(closing) : this.peek() !== undefined) this.fail('unexpected token');
    return stages;
  }

  private filter(): Filter {
    const terms = [this.unary()];
    while (this.isKeyword('or')) {
      this.position += 1;
      terms.push(this.unary());
    }
    return terms.length === 1 && terms[0] ? terms[0] : { kind: 'or', terms };
  }

  private unary(): Filter {
    if (this.isPunct('!') || this.isKeyword('not')) {
      this.position += 1;
      return { kind: 'not', inner: this.unary() };
    }
    if (this.isPunct('(')) {
      this.position += 1;
      const inner = this.filter();
      this.expect(')');
      return inner;
    }
    const name = this.name();
    if (this.isPunct('(')) return { kind: 'call', call: this.call(name) };
    const operator = this.peek();
    if (operator?.kind === 'punct' && COMPARISONS.includes(operator.value)) {
      this.position += 1;
      const value = this.value();
      if (value.kind !== 'number') this.fail('expected a number to compare with');
      return { kind: 'compare', field: name, operator: operator.value as Comparison, value: value.value };
    }
    this.expect('=');
    return { kind: 'field', field: name, value: this.value() };
  }

  private call(name: string): Call {
    this.expect('(');
    const args: Argument[] = [];
    while (!this.isPunct(')')) {
      if (args.length > 0) this.expect(',');
      const named = this.peek()?.kind === 'name' && this.isPunct('=', 1);
      if (named) {
        const argName = this.name();
        this.expect('=');
        args.push({ name: argName, value: this.value() });
      } else {
        args.push({ value: this.value() });
      }
    }
    this.expect(')');
    return { name, args };
  }

  private value(): Value {
    const token = this.peek();
    if (!token) return this.fail('expected a value');
    if (token.kind === 'string') {
      this.position += 1;
      return { kind: 'string', value: token.value };
    }
    if (token.kind === 'number') {
      this.position += 1;
      return { kind: 'number', value: Number(token.value) };
    }
    if (token.kind === 'name') {
      this.position += 1;
      return this.isPunct('(') ? { kind: 'call', call: this.call(token.value) } : { kind: 'name', name: token.value };
    }
    if (this.isPunct('*')) {
      this.position += 1;
      return { kind: 'any' };
    }
    if (this.isPunct('[')) {
      this.position += 1;
      const items: Value[] = [];
      while (!this.isPunct(']')) {
        if (items.length > 0) this.expect(',');
        items.push(this.value());
      }
      this.expect(']');
      return { kind: 'array', items };
    }
    if (this.isPunct('{')) {
      this.position += 1;
      const stages = this.query('}');
      this.expect('}');
      return { kind: 'query', stages };
    }
    return this.fail('expected a value');
  }
}

/** Parses a query into its stages; throws CqlSyntaxError on anything outside the supported grammar. */
export function parseQuery(text: string): Filter[] {
  return new Parser(tokenize(text)).query();
}
