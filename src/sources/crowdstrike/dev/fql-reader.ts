/**
 * Reads the Hosts API `filter` the fake supports: `property:'value'` terms joined by `,` (OR), single-quoted with
 * `\'` and `\\` escapes. Anything else (`+`, `[...]`, operators, an unterminated quote) is refused, as Falcon
 * answers a filter it cannot parse with a 400.
 */

export class FqlSyntaxError extends Error {
  override readonly name = 'FqlSyntaxError';
}

export interface FqlTerm {
  property: string;
  value: string;
}

const PROPERTIES = new Set(['hostname', 'local_ip', 'device_id']);

export function readDeviceFilter(text: string): FqlTerm[] {
  const terms: FqlTerm[] = [];
  let index = 0;
  for (;;) {
    const colon = text.indexOf(':', index);
    const property = colon === -1 ? '' : text.slice(index, colon);
    if (!PROPERTIES.has(property)) throw new FqlSyntaxError(`unsupported property ${JSON.stringify(property)} at ${index}`);
    if (text[colon + 1] !== "'") throw new FqlSyntaxError(`expected a quoted value at ${colon + 1}`);
    let value = '';
    let cursor = colon + 2;
    for (;;) {
      const char = text[cursor];
      if (char === undefined) throw new FqlSyntaxError(`unterminated value at ${colon + 1}`);
      if (char === "'") break;
      if (char === '\\') {
        const next = text[cursor + 1];
        if (next !== "'" && next !== '\\') throw new FqlSyntaxError(`unsupported escape at ${cursor}`);
        value += next;
        cursor += 2;
        continue;
      }
      value += char;
      cursor += 1;
    }
    terms.push({ property, value });
    index = cursor + 1;
    if (index === text.length) return terms;
    if (text[index] !== ',') throw new FqlSyntaxError(`expected , between terms at ${index}`);
    index += 1;
  }
}
