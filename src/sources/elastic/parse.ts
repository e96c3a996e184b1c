import * as z from 'zod';
import { SourceError } from '../source-error.js';
import { describeFirstIssue, parseEach } from '../vendor-body.js';

export const PitOpenedSchema = z.looseObject({ id: z.string().min(1) });

const ShardsSchema = z.looseObject({ failed: z.number().int().nonnegative() });

const SortValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const HitSchema = z.looseObject({
  _index: z.string().min(1),
  _id: z.string().min(1),
  fields: z.record(z.string(), z.array(z.unknown())).default({}),
  sort: z.array(SortValueSchema).optional(),
});
export type Hit = z.output<typeof HitSchema>;

export const SearchResponseSchema = z.looseObject({
  pit_id: z.string().min(1).optional(),
  timed_out: z.boolean(),
  _shards: ShardsSchema.optional(),
  hits: z.looseObject({ hits: z.array(z.unknown()) }),
});

const MetricSchema = z.looseObject({ value: z.number().nullable() });
const KeyValueSchema = z.union([z.string(), z.number(), z.null()]);

export const BucketSchema = z.looseObject({
  key: z.record(z.string(), KeyValueSchema),
  doc_count: z.number().int().nonnegative(),
  first_seen: MetricSchema,
  last_seen: MetricSchema,
});
export type Bucket = z.output<typeof BucketSchema>;

export const CompositeResponseSchema = z.looseObject({
  timed_out: z.boolean(),
  _shards: ShardsSchema.optional(),
  aggregations: z.looseObject({
    baseline: z.looseObject({ buckets: z.array(z.unknown()), after_key: z.record(z.string(), KeyValueSchema).optional() }),
  }),
});

const CompositeAggSchema = z.looseObject({ buckets: z.array(z.unknown()), after_key: z.record(z.string(), KeyValueSchema).optional() });
const TermsAggSchema = z.looseObject({ buckets: z.array(z.unknown()) });

/** A page of the estate prevalence; the first page also carries the host count and the destinations. */
export const PrevalenceResponseSchema = z.looseObject({
  timed_out: z.boolean(),
  _shards: ShardsSchema.optional(),
  aggregations: z.looseObject({
    ports: CompositeAggSchema,
    estate_hosts: MetricSchema.optional(),
    destination_ips: TermsAggSchema.optional(),
    destination_domains: TermsAggSchema.optional(),
  }),
});

export const PortBucketSchema = z.looseObject({
  key: z.looseObject({ transport: KeyValueSchema, port: KeyValueSchema }),
  hosts: z.looseObject({ value: z.number().int().nonnegative() }),
});
export type PortBucket = z.output<typeof PortBucketSchema>;

export const DestinationBucketSchema = z.looseObject({
  key: z.union([z.string(), z.number()]),
  key_as_string: z.string().optional(),
  hosts: z.looseObject({ value: z.number().int().nonnegative() }),
});
export type DestinationBucket = z.output<typeof DestinationBucketSchema>;

export { parseBody } from '../vendor-body.js';

export function parseItems<S extends z.ZodType>(sourceId: string, what: string, schema: S, items: readonly unknown[]): z.output<S>[] {
  return parseEach(sourceId, schema, items, (index, error) => `${what} ${index} is unreadable (${describeFirstIssue(error)})`);
}

/** A search that timed out or lost shards returned part of the data: not a result to judge a host by. */
export function requireComplete(sourceId: string, body: { timed_out: boolean; _shards?: { failed: number } | undefined }): void {
  if (body.timed_out || (body._shards?.failed ?? 0) > 0) {
    throw new SourceError('retryable', sourceId, `search returned partial results (timed_out=${body.timed_out}, failed shards=${body._shards?.failed ?? 0})`);
  }
}
