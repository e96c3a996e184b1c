import * as z from 'zod';
import { durationString } from '../../contracts/duration.js';
import { ingestionOverlap, SourceCommonConfigSchema, settleTime } from '../source-config.js';
import { isTimeZone } from './zoned-time.js';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/**
 * A Palo Alto Networks firewall (or Panorama) read through the PAN-OS XML API's traffic-log queries. Firewalls
 * see addresses, not hosts or processes: hosts are matched by IP. Strict: a misspelt key in the YAML is an error.
 */
export const PanosConfigSchema = SourceCommonConfigSchema.extend({
  type: z.literal('panos'),
  base_url: httpUrl.describe('The firewall or Panorama management URL, e.g. https://fw01.example.com; requests go to `{base_url}/api/`.'),
  api_key: z.string().min(1).describe('An API key (`type=keygen`), sent as `X-PAN-KEY`.'),
  timezone: z
    .string()
    .refine(isTimeZone, { error: 'must be an IANA time zone such as Europe/Paris' })
    .default('UTC')
    .describe('The firewall\'s time zone (IANA name): `receive_time` and query times are its local wall-clock time.'),
  page_size: z.number().int().min(1).max(5_000).default(1_000).describe('Logs per query job (`nlogs`). Default 1,000; at most 5,000, the API\'s maximum.'),
  max_pages: z.number().int().min(1).max(10_000).default(100).describe('Query jobs per host batch. A poll needing more fails (narrow the lookback or raise this); a baseline needing more is cut at this many pages and a warning logged. Default 100.'),
  prevalence_max_events: z.number().int().min(1).max(1_000_000).default(100_000).describe('Traffic logs read at most for one estate prevalence refresh: every session of the prevalence window, whatever its source address, read `page_size` at a time (one query job each) and counted here. A refresh that reaches it is counted from the logs read, marked partial and logged; `max_pages` does not apply to it. Default 100,000.'),
  job_poll_interval: durationString(50, 60_000).default('1s').describe('First wait between job status checks; it grows by half up to 5× while the job runs. Default 1s.'),
  job_timeout: durationString(1_000, 3_600_000).default('2m').describe('A log query job still running after this is finished (deleted) and the poll retried later. Default 2m.'),
  rate_limit_per_minute: z.number().int().positive().default(60).describe('Default 60. PAN-OS documents no XML API rate limit; the management plane is small, so this is conservative.'),
  settle: settleTime('5m').describe('PAN-OS writes a traffic log at session end by default (no published latency): a session must end to be seen, so 5m.'),
  ingestion_overlap: ingestionOverlap(
    'PAN-OS\'s `receive_time` (whole seconds, the firewall\'s clock), when the management plane received the log: the log database makes it searchable moments later, and Palo Alto publishes no bound.',
  ),
}).strict();

export type PanosConfig = z.infer<typeof PanosConfigSchema>;
