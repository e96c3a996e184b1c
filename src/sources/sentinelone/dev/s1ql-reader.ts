/**
 * Reads the S1QL 1.0 the fake understands: `EventType = "IP Connect"`, then in any order and each at most once
 * `AND NetEventDirection = "..."` and `AND (<agent term> [OR <agent term>])`, an agent term being
 * `AgentName In Contains Anycase ("...", ...)` or `AgentUUID In ("...", ...)`. Without an agent group the query is
 * about every agent. Strings are double-quoted with `\"` and `\\` escapes; keywords are case-insensitive.
 * Anything else is refused, as Deep Visibility refuses a query it cannot parse.
 */

export class S1qlSyntaxError extends Error {
  override readonly name = 'S1qlSyntaxError';
}

type Token = { kind: 'word' | 'string' | 'punct'; value: string; at: number };

export interface DvQuery {
  eventType: string;
  agentNames: string[];
  agentUuids: string[];
  /** Set when the query has no agent group: it asks about every agent. */
  everyAgent?: true;
  /** `NetEventDirection`, when the query names one. */
  netEventDirection?: string;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index] ?? '';
    if (/\s/.test(char)) {
      index += 1;
    } else if (char === '"') {
      let value = '';
      let cursor = index + 1;
      for (;;) {
        const next = text[cursor];
        if (next === undefined) throw new S1qlSyntaxError(`unterminated string at ${index}`);
        if (next === '"') break;
        if (next === '\\') {
          const escaped = text[cursor + 1];
          if (escaped !== '"' && escaped !== '\\') throw new S1qlSyntaxError(`unsupported escape at ${cursor}`);
          value += escaped;
          cursor += 2;
          continue;
        }
        value += next;
        cursor += 1;
      }
      tokens.push({ kind: 'string', value, at: index });
      index = cursor + 1;
    } else if (/[A-Za-z0-9_.]/.test(char)) {
      let end = index;
      while (/[A-Za-z0-9_.]/.test(text[end] ?? '')) end += 1;
      tokens.push({ kind: 'word', value: text.slice(index, end), at: index });
      index = end;
    } else if ('(),='.includes(char)) {
      tokens.push({ kind: 'punct', value: char, at: index });
      index += 1;
    } else {
      throw new S1qlSyntaxError(`unexpected character ${JSON.stringify(char)} at ${index}`);
    }
  }
  return tokens;
}

class Reader {
  private position = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  private fail(message: string): never {
    const token = this.tokens[this.position];
    throw new S1qlSyntaxError(`${message} at ${token ? `offset ${token.at} (${JSON.stringify(token.value)})` : 'end of query'}`);
  }

  private is(kind: Token['kind'], value?: string): boolean {
    const token = this.tokens[this.position];
    return token?.kind === kind && (value === undefined || token.value.toLowerCase() === value.toLowerCase());
  }

  private take(kind: Token['kind'], value?: string): string {
    const token = this.tokens[this.position];
    if (!token || !this.is(kind, value)) return this.fail(`expected ${value ?? kind}`);
    this.position += 1;
    return token.value;
  }

  private list(): string[] {
    this.take('punct', '(');
    const values = [this.take('string')];
    while (this.is('punct', ',')) {
      this.position += 1;
      values.push(this.take('string'));
    }
    this.take('punct', ')');
    return values;
  }

  read(): DvQuery {
    const query: DvQuery = { eventType: '', agentNames: [], agentUuids: [] };
    if (this.take('word').toLowerCase() !== 'eventtype') this.fail('expected EventType');
    this.take('punct', '=');
    query.eventType = this.take('string');
    let agentGroup = false;
    while (this.is('word', 'and')) {
      this.position += 1;
      if (this.is('punct', '(')) {
        if (agentGroup) this.fail('a second agent group');
        agentGroup = true;
        this.agents(query);
      } else if (this.is('word', 'neteventdirection') && query.netEventDirection === undefined) {
        this.position += 1;
        this.take('punct', '=');
        query.netEventDirection = this.take('string');
      } else {
        this.fail('unsupported condition');
      }
    }
    if (!agentGroup) query.everyAgent = true;
    if (this.position !== this.tokens.length) this.fail('unexpected token');
    return query;
  }

  private agents(query: DvQuery): void {
    this.take('punct', '(');
    do {
      if (this.is('word', 'or')) this.position += 1;
      const field = this.take('word').toLowerCase();
      this.take('word', 'in');
      if (field === 'agentname') {
        this.take('word', 'contains');
        this.take('word', 'anycase');
        query.agentNames.push(...this.list());
      } else if (field === 'agentuuid') {
        query.agentUuids.push(...this.list());
      } else {
        this.fail('unsupported field');
      }
    } while (this.is('word', 'or'));
    this.take('punct', ')');
  }
}

export function readDvQuery(text: string): DvQuery {
  return new Reader(tokenize(text)).read();
}
