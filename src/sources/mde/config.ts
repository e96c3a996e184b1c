import * as z from 'zod';
import { ingestionOverlap, SourceCommonConfigSchema, prevalenceTimeout, settleTime } from '../source-config.js';
import { HUNTING_ROW_LIMIT } from './kql.js';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/**
 * A Defender for Endpoint source, read through Microsoft Graph `runHuntingQuery` with an Entra app
 * (application permission `ThreatHunting.Read.All`). Strict: a misspelt key in the YAML is an error.
 */
export const MdeConfigSchema = SourceCommonConfigSchema.extend({
  type: z.literal('mde'),
  tenant_id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,253}$/, { error: 'must be a tenant GUID or domain' }).describe('Entra tenant: its GUID or a verified domain such as contoso.onmicrosoft.com.'),
  client_id: z.string().min(1).describe('OAuth2 client id of the API client.'),
  client_secret: z.string().min(1).describe('OAuth2 client secret; put `${VAR}` here and the secret in the environment.'),
  token_url: httpUrl.default('https://login.microsoftonline.com').describe('Entra authority; the token URL is `{token_url}/{tenant_id}/oauth2/v2.0/token`. Default https://login.microsoftonline.com.'),
  base_url: httpUrl.default('https://graph.microsoft.com').describe('Graph base; queries go to `{base_url}/v1.0/security/runHuntingQuery`. Default https://graph.microsoft.com.'),
  rate_limit_per_minute: z.number().int().positive().default(45).describe('Default 45, the per-tenant advanced hunting limit documented for the older MDE API.'),
  settle: settleTime('5m').describe('Microsoft: event data reaches advanced hunting "almost immediately" after the sensor sends it (learn.microsoft.com/defender-xdr/advanced-hunting-overview); sensors batch, so 5m.'),
  max_hosts_per_query: z.number().int().min(1).max(1000).default(100).describe('Host names per query; larger host sets are split.'),
  page_size: z.number().int().min(1).max(HUNTING_ROW_LIMIT).default(10_000).describe('Rows per query page. Default 10,000; at most 100,000, advanced hunting\'s own cap.'),
  ingestion_overlap: ingestionOverlap(
    'Advanced hunting\'s `ingestion_time()`: Kusto stamps it just before the rows are committed, and concurrent ingestions commit in any order, so a row can become visible after a later stamp; Microsoft publishes no bound.',
  ),
  prevalence_timeout: prevalenceTimeout(),
}).strict();

export type MdeConfig = z.infer<typeof MdeConfigSchema>;
