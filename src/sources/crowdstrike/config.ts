import * as z from 'zod';
import { durationString } from '../../contracts/duration.js';
import { ingestionOverlap, SourceCommonConfigSchema, prevalenceTimeout, settleTime } from '../source-config.js';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/** The Falcon API gateway of each cloud (PSFalcon `Request-FalconToken`). */
export const FALCON_CLOUDS = {
  'us-1': 'https://api.crowdstrike.com',
  'us-2': 'https://api.us-2.crowdstrike.com',
  'eu-1': 'https://api.eu-1.crowdstrike.com',
  'us-gov-1': 'https://api.laggar.gcw.crowdstrike.com',
} as const;

/**
 * A CrowdStrike Falcon source: hosts through the Hosts API, network events through Next-Gen SIEM (LogScale)
 * query jobs. API client scopes: Hosts read, NGSIEM read and write (a query job is created with write).
 * Strict: a misspelt key in the YAML is an error.
 */
const FalconFieldsSchema = SourceCommonConfigSchema.extend({
  type: z.literal('crowdstrike'),
  cloud: z.enum(['us-1', 'us-2', 'eu-1', 'us-gov-1']).default('us-1').describe('Which Falcon cloud; picks the default `base_url`. Default us-1.'),
  base_url: httpUrl.optional().describe('Falcon API gateway; token, hosts and NG-SIEM calls all go here. Default: the cloud\'s gateway.'),
  client_id: z.string().min(1).describe('OAuth2 client id of the API client.'),
  client_secret: z.string().min(1).describe('OAuth2 client secret; put `${VAR}` here and the secret in the environment.'),
  member_cid: z.string().regex(/^[0-9a-f]{32}(?:-[0-9a-f]{2})?$/i, { error: 'must be a CID (32 hex digits)' }).optional().describe('MSSP parent credentials acting for a child CID.'),
  repository: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'must be a repository name (letters, digits, - and _)' }).default('search-all').describe('NG-SIEM repository searched for sensor events. Default search-all.'),
  rate_limit_per_minute: z.number().int().positive().default(6_000).describe('Default 6000: Falcon\'s documented per-customer limit. It is shared by every API client of the CID, so lower it when other integrations (the SOAR that blocked the C2, a SIEM feed) use the same account.'),
  settle: settleTime('5m').describe('CrowdStrike publishes no NG-SIEM ingestion latency: a conservative 5m.'),
  ingestion_overlap: ingestionOverlap(
    'LogScale\'s `@ingesttimestamp` (epoch ms, on every event): an event is searchable shortly after it is stamped, and LogScale publishes no bound.',
  ),
  max_hosts_per_query: z.number().int().min(1).max(1000).default(100).describe('Device ids per LogScale query. Default 100.'),
  page_size: z.number().int().min(1).max(10_000).default(1_000).describe('Events per query job (`head(limit=...)`); larger ranges are read in several jobs. Default 1,000; at most 10,000.'),
  query_timeout: durationString(1_000, 900_000).default('2m').describe('How long one query job may run before it is stopped and the poll reports a gap. Default 2m.'),
  prevalence_timeout: prevalenceTimeout(),
  process_lookback: durationString(0, 30 * 86_400_000).default('7d').describe('How far before the read range the process join looks for the `ProcessRollup2` of a connecting process (image path, command line, hashes). Processes started earlier show without them. Default 7d.'),
  process_join_limit: z.number().int().min(1).max(10_000_000).default(200_000).describe('`ProcessRollup2` events the process join keeps at most (`join(limit=)`). LogScale\'s own default is 100,000, a week of process starts on a few dozen busy hosts; connections of processes beyond it show without image and hashes. Default 200,000, LogScale\'s default MAX_JOIN_LIMIT: raise both together on a cluster that allows more.'),
  baseline_max_groups: z.number().int().min(1).max(200_000).default(20_000).describe('Groups one baseline query returns at most; a larger baseline is cut with a warning. Default 20,000.'),
  prevalence_max_groups: z.number().int().min(1).max(1_000_000).default(100_000).describe('Groups each estate prevalence `groupBy()` keeps at most (protocol/port pairs, destination addresses); a refresh that reaches it is marked partial and logged. It must not exceed the cluster\'s GroupMaxLimit (LogScale documents 1,000,000 as the most; a cluster may set less), or the query job is refused. Default 100,000.'),
}).strict();

export const CrowdstrikeConfigSchema = FalconFieldsSchema.transform((config) => ({
  ...config,
  base_url: config.base_url ?? FALCON_CLOUDS[config.cloud],
}));

export type CrowdstrikeConfig = z.output<typeof CrowdstrikeConfigSchema>;
