import * as z from 'zod';
import { durationString } from '../../contracts/duration.js';
import { ingestionOverlap, SourceCommonConfigSchema, prevalenceTimeout, settleTime } from '../source-config.js';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const splunkName = (what: string) =>
  z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_:./ -]{0,199}$/, { error: `must be a Splunk ${what} name` });

/**
 * A Splunk source, read through the search jobs REST API on splunkd's management port. The default search reads
 * Sysmon Event ID 3 (network connection) events; `search` replaces it with any event selection that yields the
 * Sysmon field names (see `SYSMON_FIELDS`). Strict: a misspelt key in the YAML is an error.
 */
export const SplunkConfigSchema = SourceCommonConfigSchema.extend({
  type: z.literal('splunk'),
  base_url: httpUrl.describe('splunkd\'s management URL, e.g. https://splunk.example.com:8089 (Splunk Cloud: https://<stack>.splunkcloud.com:8089).'),
  token: z.string().min(1).describe('An authentication token (Settings > Tokens), or a session key with `auth_scheme: Splunk`.'),
  auth_scheme: z.enum(['Bearer', 'Splunk']).default('Bearer').describe('`Bearer` for authentication tokens, `Splunk` for session keys from /services/auth/login. Default Bearer.'),
  api_version: z.enum(['v2', 'v1']).default('v2').describe('Search API version: v2 for Splunk Enterprise 9.0.2 and later and Splunk Cloud 9.0.2209 and later (where the deprecated v1 endpoints may be disabled), v1 for older releases. Default v2. The cut-over is the official Python SDK\'s (`disable_v2_api`); Splunk\'s REST reference dates v2 from 9.0.1 (Cloud 9.0.2208).'),
  index: splunkName('index').optional().describe('Index holding the Sysmon events. Default sysmon. Not with `search`.'),
  sourcetype: splunkName('sourcetype').optional().describe('Sourcetype of the Sysmon events. Default XmlWinEventLog:Microsoft-Windows-Sysmon/Operational. Not with `search`.'),
  search: z.string().trim().min(1).max(4_000).optional().describe('The event selection, instead of index/sourcetype: search terms (`index=edr EventCode=3`) or a pipeline starting with `|`, whose events carry the Sysmon field names. The connector appends its host filter and projection after it; the host filter never goes inside it.'),
  page_size: z.number().int().min(1).max(50_000).default(5_000).describe('Rows per results page. Default 5,000; at most 50,000 (limits.conf `maxresultrows` default).'),
  max_results: z.number().int().min(1).max(10_000_000).default(50_000).describe('The deployment\'s limits.conf `maxresultrows`: a job with this many results may have been cut by Splunk, so a poll reaching it fails (fewer hosts per query or a shorter lookback help) and a baseline logs a warning. Default 50,000, Splunk\'s default.'),
  job_poll_interval: durationString(50, 60_000).default('1s').describe('First wait between job status checks; it grows by half up to 5× while the job runs. Default 1s.'),
  job_timeout: durationString(1_000, 3_600_000).default('5m').describe('A search job still running after this is cancelled and the poll retried later. Default 5m.'),
  prevalence_timeout: prevalenceTimeout(),
  rate_limit_per_minute: z.number().int().positive().default(120).describe('Default 120. Splunk publishes no REST rate limit (its limit is concurrent searches), so this is conservative.'),
  ingestion_overlap: ingestionOverlap(
    'Splunk\'s `_indextime` (whole seconds, the indexer\'s clock): an event is searchable moments after it is indexed, and indexers\' clocks are not ours; Splunk publishes no bound. A custom `search` whose results lack `_indextime` is re-read whole.',
  ),
  settle: settleTime('1m').describe('Splunk: 3-5 s from event to searchable is the healthy target (lantern.splunk.com, "Reducing event delay"); forwarders batch, so 1m.'),
})
  .strict()
  .refine((config) => config.search === undefined || (config.index === undefined && config.sourcetype === undefined), {
    error: 'give either search or index/sourcetype, not both',
    path: ['search'],
  });

export type SplunkConfig = z.infer<typeof SplunkConfigSchema>;
