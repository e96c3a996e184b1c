import * as z from 'zod';

/**
 * Reads the Query DSL the fake runs. JSON is its own tokenizer; this is the parser of the query clauses the
 * connector sends (bool, term, terms, prefix, range, exists) and of the request bodies (their aggregations are read by
 * `aggregations.ts`). Anything else is refused as Elasticsearch refuses an unknown query, with a 400
 * `parsing_exception`.
 */

export class DslParsingError extends Error {
  override readonly name = 'DslParsingError';
}

type Scalar = string | number | boolean;

export type Clause =
  | { kind: 'bool'; filter: Clause[]; should: Clause[]; mustNot: Clause[]; minimumShouldMatch: number }
  | { kind: 'term'; field: string; value: Scalar; caseInsensitive: boolean }
  | { kind: 'terms'; field: string; values: Scalar[] }
  | { kind: 'prefix'; field: string; value: string; caseInsensitive: boolean }
  | { kind: 'range'; field: string; gte?: string; gt?: string; lt?: string; lte?: string }
  | { kind: 'exists'; field: string };

const ScalarSchema = z.union([z.string(), z.number(), z.boolean()]);
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function single(value: unknown, what: string): [string, unknown] {
  const entries = isRecord(value) ? Object.entries(value) : [];
  const [entry, ...extra] = entries;
  if (!entry || extra.length > 0) throw new DslParsingError(`[${what}] query malformed, must name exactly one field`);
  return entry;
}

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new DslParsingError(`[${what}] failed to parse: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

const TermValueSchema = z.union([ScalarSchema, z.strictObject({ value: ScalarSchema, case_insensitive: z.boolean().optional() })]);
const PrefixValueSchema = z.union([z.string(), z.strictObject({ value: z.string(), case_insensitive: z.boolean().optional() })]);
const RangeSchema = z.strictObject({
  gte: z.string().optional(),
  gt: z.string().optional(),
  lt: z.string().optional(),
  lte: z.string().optional(),
  format: z.string().optional(),
});
const BoolSchema = z.strictObject({
  filter: z.array(z.unknown()).optional(),
  should: z.array(z.unknown()).optional(),
  must_not: z.array(z.unknown()).optional(),
  minimum_should_match: z.number().int().optional(),
});

export function readClause(value: unknown): Clause {
  const [kind, body] = single(value, 'query');
  switch (kind) {
    case 'bool': {
      const bool = parse(BoolSchema, body, 'bool');
      const should = (bool.should ?? []).map(readClause);
      return {
        kind: 'bool',
        filter: (bool.filter ?? []).map(readClause),
        should,
        mustNot: (bool.must_not ?? []).map(readClause),
        minimumShouldMatch: bool.minimum_should_match ?? (should.length > 0 ? 1 : 0),
      };
    }
    case 'term': {
      const [field, raw] = single(body, 'term');
      const term = parse(TermValueSchema, raw, 'term');
      return typeof term === 'object'
        ? { kind: 'term', field, value: term.value, caseInsensitive: term.case_insensitive ?? false }
        : { kind: 'term', field, value: term, caseInsensitive: false };
    }
    case 'terms': {
      const [field, raw] = single(body, 'terms');
      return { kind: 'terms', field, values: parse(z.array(ScalarSchema), raw, 'terms') };
    }
    case 'prefix': {
      const [field, raw] = single(body, 'prefix');
      const prefix = parse(PrefixValueSchema, raw, 'prefix');
      return typeof prefix === 'object'
        ? { kind: 'prefix', field, value: prefix.value, caseInsensitive: prefix.case_insensitive ?? false }
        : { kind: 'prefix', field, value: prefix, caseInsensitive: false };
    }
    case 'range': {
      const [field, raw] = single(body, 'range');
      return { kind: 'range', field, ...parse(RangeSchema, raw, 'range') };
    }
    case 'exists':
      return { kind: 'exists', field: parse(z.strictObject({ field: z.string().min(1) }), body, 'exists').field };
    default:
      throw new DslParsingError(`unknown query [${kind}]`);
  }
}

const SortSchema = z.tuple([
  z.strictObject({ '@timestamp': z.strictObject({ order: z.literal('asc'), format: z.string().optional() }) }),
  z.strictObject({ _shard_doc: z.literal('asc') }),
]);

export const PitSearchBodySchema = z.strictObject({
  size: z.number().int().min(0).max(10_000),
  query: z.unknown(),
  pit: z.strictObject({ id: z.string().min(1), keep_alive: z.string().optional() }),
  sort: SortSchema,
  search_after: z.tuple([z.union([z.string(), z.number()]), z.number().int()]).optional(),
  track_total_hits: z.boolean().optional(),
  _source: z.literal(false).optional(),
  fields: z.array(z.string()).optional(),
});

/** A size-0 search of aggregations only; `aggs` is read by `readAggregations`. */
export const AggregationSearchBodySchema = z.strictObject({
  size: z.literal(0),
  track_total_hits: z.boolean().optional(),
  query: z.unknown(),
  aggs: z.record(z.string(), z.unknown()),
});

export function readBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  return parse(schema, body, 'search request');
}

/** Every value a `term` or `prefix` clause on `field` asks for, at any depth. */
export function clauseValues(clause: Clause, field: string): string[] {
  if (clause.kind === 'bool') return [...clause.filter, ...clause.should].flatMap((inner) => clauseValues(inner, field));
  if ((clause.kind === 'term' || clause.kind === 'prefix') && clause.field === field) return [String(clause.value)];
  if (clause.kind === 'terms' && clause.field === field) return clause.values.map(String);
  return [];
}
