import * as z from 'zod';
import { durationString } from '../../contracts/duration.js';
import { ingestionOverlap, SourceCommonConfigSchema, prevalenceTimeout, settleTime } from '../source-config.js';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/** A data stream, index or pattern (`*` allowed, `cluster:` prefix for cross-cluster search); no commas. */
const IndexPatternSchema = z.string().regex(/^(?:[a-z0-9_-]+:)?[a-z0-9*][a-z0-9*._-]{0,254}$/, {
  error: 'must be an index, data stream or pattern such as logs-endpoint.events.network-*',
});

export const DEFAULT_INDICES = ['logs-endpoint.events.network-*', 'logs-windows.sysmon_operational-*'];

/**
 * An Elasticsearch source holding Elastic Defend network events and/or Sysmon Event ID 3 (Windows integration).
 * The API key needs the `read` index privilege on the indices (searches, point in time, aggregations).
 * Strict: a misspelt key in the YAML is an error.
 */
export const ElasticConfigSchema = SourceCommonConfigSchema.extend({
  type: z.literal('elastic'),
  base_url: httpUrl.describe('The Elasticsearch endpoint (not Kibana), e.g. https://acme.es.eu-west-1.aws.found.io.'),
  api_key: z.string().regex(/^[A-Za-z0-9+/=_-]{8,}$/, { error: 'must be the encoded API key (base64 of id:api_key)' }).describe('The `encoded` value of `POST /_security/api_key` (base64 of id:api_key), sent as `Authorization: ApiKey ...`.'),
  indices: z.array(IndexPatternSchema).min(1).max(20).default(DEFAULT_INDICES).describe('Indices or patterns searched. Default: Elastic Defend network events and Sysmon operational logs.'),
  rate_limit_per_minute: z.number().int().positive().default(300).describe('Default 300. Elasticsearch publishes no request limit; it rejects work its thread pools cannot queue (429).'),
  settle: settleTime('1m').describe('Elastic\'s detection rules allow 1m of "additional look-back time" for ingest delay by default (`from: now-6m`, every 5m).'),
  max_hosts_per_query: z.number().int().min(1).max(1000).default(100).describe('Host names per query. Default 100.'),
  page_size: z.number().int().min(1).max(10_000).default(1_000).describe('Hits per search page, and buckets per baseline and prevalence (port) page. Default 1,000; at most 10,000.'),
  keep_alive: durationString(1_000, 3_600_000).default('1m').describe('How long a point in time is kept between pages. Default 1m.'),
  baseline_max_pages: z.number().int().min(1).max(1_000).default(50).describe('Baseline pages (composite aggregation) read at most; a larger baseline is cut with a warning. Default 50.'),
  defend_deduplicates: z.boolean().default(true).describe('Whether the Elastic Defend policy keeps its default of dropping repeated network events (`advanced.events.deduplicate_network_events`, on since 8.15). Shown in the watch\'s coverage. Default true.'),
  prevalence_timeout: prevalenceTimeout(),
  ingestion_overlap: ingestionOverlap(
    'Elasticsearch\'s `event.ingested`, set by the ingest pipelines of Elastic Defend and the Fleet integrations with the cluster\'s clock (some keep whole seconds): a document becomes searchable only at the next refresh of its shard (1 s by default, later on a busy or search-idle one). A document without `event.ingested` (a custom pipeline that does not set it) is always read.',
  ),
}).strict();

export type ElasticConfig = z.infer<typeof ElasticConfigSchema>;
