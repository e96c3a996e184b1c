import * as z from 'zod';
import { durationString } from '../../contracts/duration.js';
import { SourceCommonConfigSchema, prevalenceTimeout, settleTime } from '../source-config.js';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const s1Id = z.string().regex(/^\d{1,20}$/, { error: 'must be a numeric SentinelOne id' });

/**
 * A SentinelOne source read through Deep Visibility (S1QL 1.0). The API token needs a role that can view
 * endpoints and run Deep Visibility queries, and the account needs Singularity Complete (DV).
 * Strict: a misspelt key in the YAML is an error.
 */
export const SentineloneConfigSchema = SourceCommonConfigSchema.extend({
  type: z.literal('sentinelone'),
  base_url: httpUrl.describe('The management console, e.g. https://usea1-acme.sentinelone.net.'),
  api_token: z.string().min(1).describe('Sent as `Authorization: ApiToken <api_token>`.'),
  account_ids: z.array(s1Id).min(1).max(500).optional().describe('Limits Deep Visibility queries to these accounts; default: everything the token sees.'),
  site_ids: z.array(s1Id).min(1).max(500).optional().describe('Limits Deep Visibility queries to these sites.'),
  rate_limit_per_minute: z.number().int().positive().default(60).describe('Default 60. SentinelOne publishes no general API limit outside the console\'s gated docs, and it throttles Deep Visibility query creation per token; one request a second leaves room for other integrations.'),
  settle: settleTime('5m').describe('SentinelOne publishes no Deep Visibility ingestion latency: a conservative 5m.'),
  max_hosts_per_query: z.number().int().min(1).max(500).default(100).describe('Agent names per Deep Visibility query. Default 100.'),
  page_size: z.number().int().min(1).max(1_000).default(1_000).describe('Events per `dv/events` page. Default 1,000, the API\'s maximum.'),
  query_limit: z.number().int().min(1).max(100_000).default(20_000).describe('Events one Deep Visibility query may return (`limit` of init-query). A query that fills it is split in two halves of its time range and each half read again. Default 20,000; at most 100,000.'),
  query_timeout: durationString(1_000, 900_000).default('2m').describe('How long one Deep Visibility query may run before it is cancelled and the poll reports a gap. Default 2m.'),
  prevalence_timeout: prevalenceTimeout(),
  baseline_max_events: z.number().int().min(1).max(1_000_000).default(100_000).describe('Events read at most for one baseline, which is aggregated here (S1QL has no aggregation). Default 100,000.'),
  prevalence_max_events: z.number().int().min(1).max(100_000).default(100_000).describe('Events read at most for one estate prevalence refresh: one Deep Visibility query of every agent\'s outgoing IP Connect events over the prevalence window, counted here. A refresh that reaches it is counted from the events read, marked partial and logged. Default 100,000, also the most one query keeps.'),
}).strict();

export type SentineloneConfig = z.infer<typeof SentineloneConfigSchema>;
