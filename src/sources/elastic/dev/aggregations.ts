import * as z from 'zod';
import { DslParsingError } from './dsl-reader.js';
import type { EcsDoc } from './ecs-docs.js';
import { compareKeys, type KeyValue } from './search-engine.js';

/**
 * The aggregations the fake reads and runs, in Elasticsearch's request and response shapes: `composite` (terms
 * sources), `terms` (size, min_doc_count, order by count, key or a metric sub-aggregation), the metrics
 * `cardinality`, `min` and `max`, and the `bucket_selector` pipeline. Anything else is refused with a 400, as
 * Elasticsearch refuses an unknown aggregation. The fake counts over all its documents at once: counts are exact and
 * `doc_count_error_upper_bound` is 0.
 */

type Comparator = '>=' | '>' | '<=' | '<' | '==' | '!=';

interface CompositeSource {
  name: string;
  field: string;
  missing: boolean;
}

export type Aggregation =
  | { kind: 'composite'; size: number; sources: CompositeSource[]; after?: Record<string, KeyValue>; aggs: Aggregations }
  | { kind: 'terms'; field: string; size: number; minDocCount: number; order: { path: string; desc: boolean }[]; aggs: Aggregations }
  | { kind: 'cardinality'; field: string }
  | { kind: 'min' | 'max'; field: string }
  | { kind: 'bucket_selector'; paths: Record<string, string>; variable: string; comparator: Comparator; value: number };

export type Aggregations = Record<string, Aggregation>;

const KeyValueSchema = z.union([z.string(), z.number(), z.null()]);
const FieldSchema = z.strictObject({ field: z.string().min(1) });
const CompositeSchema = z.strictObject({
  size: z.number().int().min(1).max(65_536).default(10),
  sources: z.array(z.record(z.string(), z.strictObject({ terms: z.strictObject({ field: z.string().min(1), missing_bucket: z.boolean().optional() }) }))).min(1),
  after: z.record(z.string(), KeyValueSchema).optional(),
});
const OrderSchema = z.record(z.string(), z.enum(['asc', 'desc']));
const TermsSchema = z.strictObject({
  field: z.string().min(1),
  size: z.number().int().min(1).max(65_536).default(10),
  shard_size: z.number().int().min(1).optional(),
  min_doc_count: z.number().int().min(0).default(1),
  order: z.union([OrderSchema, z.array(OrderSchema)]).optional(),
});
const CardinalitySchema = z.strictObject({ field: z.string().min(1), precision_threshold: z.number().int().min(0).max(40_000).optional() });
const BucketSelectorSchema = z.strictObject({
  buckets_path: z.record(z.string(), z.string().min(1)),
  script: z.union([z.string(), z.strictObject({ source: z.string(), lang: z.literal('painless').optional() })]),
  gap_policy: z.enum(['skip', 'insert_zeros', 'keep_values']).optional(),
});

const SCRIPT = /^\s*params\.([A-Za-z_]\w*)\s*(>=|>|<=|<|==|!=)\s*(-?\d+(?:\.\d+)?)\s*$/;
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new DslParsingError(`[${what}] failed to parse: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

function readOne(name: string, value: unknown, nested: boolean): Aggregation {
  if (!isRecord(value)) throw new DslParsingError(`Expected [START_OBJECT] under [${name}]`);
  const { aggs, aggregations, ...rest } = value;
  const types = Object.entries(rest);
  const [entry, ...extra] = types;
  if (!entry || extra.length > 0) throw new DslParsingError(`Expected exactly one aggregation type under [${name}]`);
  const [type, body] = entry;
  const children = aggs ?? aggregations;
  const subs = children === undefined ? {} : readAggregations(children, true);
  const noChildren = () => {
    if (children !== undefined) throw new DslParsingError(`Aggregator [${name}] of type [${type}] cannot accept sub-aggregations`);
  };
  switch (type) {
    case 'composite': {
      const composite = parse(CompositeSchema, body, 'composite');
      const sources = composite.sources.map((source) => {
        const [[sourceName, spec] = ['', { terms: { field: '' } }], ...more] = Object.entries(source);
        if (more.length > 0) throw new DslParsingError('[composite] each source must name exactly one value source');
        return { name: sourceName, field: spec.terms.field, missing: spec.terms.missing_bucket ?? false };
      });
      return { kind: 'composite', size: composite.size, sources, after: composite.after, aggs: subs };
    }
    case 'terms': {
      const terms = parse(TermsSchema, body, 'terms');
      const orders = terms.order === undefined ? [{ _count: 'desc' as const }] : Array.isArray(terms.order) ? terms.order : [terms.order];
      const order = orders.map((item) => {
        const [[path, direction] = ['', 'desc'], ...more] = Object.entries(item);
        if (more.length > 0) throw new DslParsingError('[terms] each order must name exactly one path');
        const target = subs[path];
        if (path !== '_count' && path !== '_key' && !(target && (target.kind === 'cardinality' || target.kind === 'min' || target.kind === 'max'))) {
          throw new DslParsingError(`Invalid aggregation order path [${path}]`);
        }
        return { path, desc: direction === 'desc' };
      });
      return { kind: 'terms', field: terms.field, size: terms.size, minDocCount: terms.min_doc_count, order, aggs: subs };
    }
    case 'cardinality':
      noChildren();
      return { kind: 'cardinality', field: parse(CardinalitySchema, body, 'cardinality').field };
    case 'min':
    case 'max':
      noChildren();
      return { kind: type, field: parse(FieldSchema, body, type).field };
    case 'bucket_selector': {
      noChildren();
      if (!nested) throw new DslParsingError(`bucket_selector aggregation [${name}] must be declared inside of another aggregation`);
      const selector = parse(BucketSelectorSchema, body, 'bucket_selector');
      const match = SCRIPT.exec(typeof selector.script === 'string' ? selector.script : selector.script.source);
      if (!match?.[1] || !match[2] || !match[3] || selector.buckets_path[match[1]] === undefined) {
        throw new DslParsingError('[bucket_selector] the fake runs scripts of the form params.<path variable> >= <number> only');
      }
      return { kind: 'bucket_selector', paths: selector.buckets_path, variable: match[1], comparator: match[2] as Comparator, value: Number(match[3]) };
    }
    default:
      throw new DslParsingError(`Unknown aggregation type [${type}] did you mean [terms]?`);
  }
}

/** The `aggs` object of a request (or of a bucket aggregation), read and checked. */
export function readAggregations(value: unknown, nested = false): Aggregations {
  if (!isRecord(value)) throw new DslParsingError('[aggs] must be an object');
  return Object.fromEntries(Object.entries(value).map(([name, spec]) => [name, readOne(name, spec, nested)]));
}

type Bucket = Record<string, unknown> & { doc_count: number };

const valuesOf = (doc: EcsDoc, field: string): (string | number)[] => [...new Set(doc.fields[field] ?? [])];

function metric(aggregation: Extract<Aggregation, { kind: 'cardinality' | 'min' | 'max' }>, docs: readonly EcsDoc[]): Record<string, unknown> {
  if (aggregation.kind === 'cardinality') return { value: new Set(docs.flatMap((doc) => valuesOf(doc, aggregation.field).map(String))).size };
  const dates = aggregation.field === '@timestamp';
  const numbers = docs.flatMap((doc) => valuesOf(doc, aggregation.field)).map((value) => (dates ? Date.parse(String(value)) : Number(value)));
  const finite = numbers.filter((value) => Number.isFinite(value));
  if (finite.length === 0) return { value: null };
  const value = aggregation.kind === 'min' ? Math.min(...finite) : Math.max(...finite);
  return dates ? { value, value_as_string: new Date(value).toISOString() } : { value };
}

/** A bucket's sub-aggregations; pipelines are left to `selected`. */
function bucketOf(docs: readonly EcsDoc[], aggs: Aggregations, fields: Record<string, unknown>): Bucket {
  return { ...fields, doc_count: docs.length, ...runAggregations(docs, aggs) };
}

function pathValue(bucket: Bucket, path: string): number | null {
  if (path === '_count') return bucket.doc_count;
  const value = (bucket[path] as { value?: unknown } | undefined)?.value;
  return typeof value === 'number' ? value : null;
}

/** Whether the bucket survives every `bucket_selector` among `aggs`. */
function selected(bucket: Bucket, aggs: Aggregations): boolean {
  return Object.values(aggs).every((aggregation) => {
    if (aggregation.kind !== 'bucket_selector') return true;
    const path = aggregation.paths[aggregation.variable] ?? '';
    const value = pathValue(bucket, path);
    // gap_policy skip: a bucket without the value is not judged.
    if (value === null) return true;
    switch (aggregation.comparator) {
      case '>=':
        return value >= aggregation.value;
      case '>':
        return value > aggregation.value;
      case '<=':
        return value <= aggregation.value;
      case '<':
        return value < aggregation.value;
      case '==':
        return value === aggregation.value;
      case '!=':
        return value !== aggregation.value;
    }
  });
}

function terms(aggregation: Extract<Aggregation, { kind: 'terms' }>, docs: readonly EcsDoc[]) {
  const groups = new Map<string | number, EcsDoc[]>();
  for (const doc of docs) {
    for (const value of valuesOf(doc, aggregation.field)) {
      const group = groups.get(value);
      if (group) group.push(doc);
      else groups.set(value, [doc]);
    }
  }
  const buckets = [...groups]
    .map(([key, members]) => ({ key, bucket: bucketOf(members, aggregation.aggs, { key }) }))
    .filter(({ bucket }) => bucket.doc_count >= aggregation.minDocCount);
  const byKey = (a: string | number, b: string | number) => compareKeys([a], [b]);
  buckets.sort((a, b) => {
    for (const { path, desc } of aggregation.order) {
      const order = path === '_key' ? byKey(a.key, b.key) : (pathValue(a.bucket, path) ?? -Infinity) - (pathValue(b.bucket, path) ?? -Infinity);
      if (order !== 0) return desc ? -order : order;
    }
    return byKey(a.key, b.key);
  });
  const kept = buckets.slice(0, aggregation.size);
  const other = buckets.slice(aggregation.size).reduce((sum, { bucket }) => sum + bucket.doc_count, 0);
  // Pipelines run on the reduced result: after the cut to size.
  return { doc_count_error_upper_bound: 0, sum_other_doc_count: other, buckets: kept.map(({ bucket }) => bucket).filter((bucket) => selected(bucket, aggregation.aggs)) };
}

function composite(aggregation: Extract<Aggregation, { kind: 'composite' }>, docs: readonly EcsDoc[]) {
  const groups = new Map<string, { values: KeyValue[]; docs: EcsDoc[] }>();
  for (const doc of docs) {
    let combinations: KeyValue[][] = [[]];
    for (const source of aggregation.sources) {
      const values: KeyValue[] = valuesOf(doc, source.field);
      const options = values.length > 0 ? values : source.missing ? [null] : [];
      combinations = combinations.flatMap((combination) => options.map((value) => [...combination, value]));
    }
    for (const values of combinations) {
      const id = JSON.stringify(values);
      const group = groups.get(id);
      if (group) group.docs.push(doc);
      else groups.set(id, { values, docs: [doc] });
    }
  }
  const { after } = aggregation;
  const afterValues = after ? aggregation.sources.map((source) => after[source.name] ?? null) : undefined;
  const page = [...groups.values()]
    .sort((a, b) => compareKeys(a.values, b.values))
    .filter((group) => !afterValues || compareKeys(group.values, afterValues) > 0)
    .slice(0, aggregation.size);
  const keyOf = (values: KeyValue[]) => Object.fromEntries(aggregation.sources.map((source, index) => [source.name, values[index] ?? null]));
  const buckets = page.map((group) => bucketOf(group.docs, aggregation.aggs, { key: keyOf(group.values) })).filter((bucket) => selected(bucket, aggregation.aggs));
  const last = page.at(-1);
  return { ...(last ? { after_key: keyOf(last.values) } : {}), buckets };
}

/** The `aggregations` of a response: every aggregation of `aggs` run over `docs`. */
export function runAggregations(docs: readonly EcsDoc[], aggs: Aggregations): Record<string, unknown> {
  const results: Record<string, unknown> = {};
  for (const [name, aggregation] of Object.entries(aggs)) {
    if (aggregation.kind === 'terms') results[name] = terms(aggregation, docs);
    else if (aggregation.kind === 'composite') results[name] = composite(aggregation, docs);
    else if (aggregation.kind !== 'bucket_selector') results[name] = metric(aggregation, docs);
  }
  return results;
}
