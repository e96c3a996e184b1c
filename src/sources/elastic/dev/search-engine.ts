import type { Clause } from './dsl-reader.js';
import type { EcsDoc } from './ecs-docs.js';

const lower = (value: string | number | boolean, caseInsensitive: boolean) => (caseInsensitive ? String(value).toLowerCase() : String(value));

/** Whether a document matches a clause; fields are keyword-like (exact), a range compares them as dates. */
export function matches(doc: EcsDoc, clause: Clause): boolean {
  const values = clause.kind === 'bool' ? [] : (doc.fields[clause.field] ?? []);
  switch (clause.kind) {
    case 'bool': {
      const should = clause.should.filter((inner) => matches(doc, inner)).length;
      return clause.filter.every((inner) => matches(doc, inner)) && !clause.mustNot.some((inner) => matches(doc, inner)) && should >= clause.minimumShouldMatch;
    }
    case 'exists':
      return values.length > 0;
    case 'term':
      return values.some((value) => lower(value, clause.caseInsensitive) === lower(clause.value, clause.caseInsensitive));
    case 'terms':
      return values.some((value) => clause.values.some((wanted) => String(wanted) === String(value)));
    case 'prefix':
      return values.some((value) => lower(value, clause.caseInsensitive).startsWith(lower(clause.value, clause.caseInsensitive)));
    case 'range': {
      const time = Date.parse(String(values[0]));
      const bound = (text: string | undefined) => (text === undefined ? undefined : Date.parse(text));
      const [gte, gt, lt, lte] = [bound(clause.gte), bound(clause.gt), bound(clause.lt), bound(clause.lte)];
      return (
        Number.isFinite(time) &&
        (gte === undefined || time >= gte) &&
        (gt === undefined || time > gt) &&
        (lt === undefined || time < lt) &&
        (lte === undefined || time <= lte)
      );
    }
  }
}

export type KeyValue = string | number | null;

/** Orders composite keys as Elasticsearch does for ascending terms sources: missing first, then by value. */
export function compareKeys(a: readonly KeyValue[], b: readonly KeyValue[]): number {
  for (let index = 0; index < Math.max(a.length, b.length); index += 1) {
    const left = a[index] ?? null;
    const right = b[index] ?? null;
    if (left === right) continue;
    if (left === null) return -1;
    if (right === null) return 1;
    return left < right ? -1 : 1;
  }
  return 0;
}
