import * as z from 'zod';
import { durationString } from '../../contracts/duration.js';
import { SourceCommonConfigSchema, settleTime } from '../source-config.js';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/**
 * A Fortinet FortiGate read through the FortiOS REST API's forward-traffic log endpoint. Firewalls see addresses,
 * not hosts or processes: hosts are matched by IP. Strict: a misspelt key in the YAML is an error.
 */
export const FortigateConfigSchema = SourceCommonConfigSchema.extend({
  type: z.literal('fortigate'),
  base_url: httpUrl.describe('The FortiGate\'s HTTPS admin URL, e.g. https://fgt01.example.com; requests go to `{base_url}/api/v2/log/...`.'),
  token: z.string().min(1).describe('A REST API administrator\'s key, sent as `Authorization: Bearer`.'),
  log_device: z.enum(['disk', 'memory', 'fortianalyzer']).default('disk').describe('Where the FortiGate keeps its logs: disk, memory, or a FortiAnalyzer it forwards to. Default disk.'),
  vdom: z.string().regex(/^[A-Za-z0-9_.-]{1,31}$/, { error: 'must be a VDOM name' }).default('root').describe('The VDOM whose logs are read. Default root.'),
  serial_no: z.string().regex(/^[A-Za-z0-9]{1,32}$/, { error: 'must be a FortiGate serial number' }).optional().describe('FortiAnalyzer only: the serial number of the FortiGate whose logs are read (`serial_no`). Default: not sent.'),
  time_filter_unit: z.enum(['ms', 's']).default('ms').describe('Unit of the `_metadata.timestamp` time filter. Fortinet does not document it; community clients send epoch milliseconds. Default ms.'),
  page_size: z.number().int().min(1).max(10_000).default(1_000).describe('Log rows per request (`rows`). Default 1,000; FortiAnalyzer-backed reads are capped at 1,024 per request.'),
  max_pages: z.number().int().min(1).max(10_000).default(100).describe('Requests\' worth of pages per host batch. A poll needing more fails (narrow the lookback or raise this); a baseline needing more is cut at this many pages and a warning logged. Default 100.'),
  prevalence_max_events: z.number().int().min(1).max(1_000_000).default(100_000).describe('Log records read at most for one estate prevalence refresh: every forward-traffic session of the VDOM in the prevalence window, whatever its source address, read `page_size` rows at a time and counted here. A refresh that reaches it is counted from the records read, marked partial and logged; `max_pages` does not apply to it. Default 100,000.'),
  job_poll_interval: durationString(50, 60_000).default('1s').describe('FortiAnalyzer only: first wait between progress checks; it grows by half up to 5×. Default 1s.'),
  job_timeout: durationString(1_000, 3_600_000).default('2m').describe('FortiAnalyzer only: a query not 100% complete after this is given up and the poll retried later. Default 2m.'),
  rate_limit_per_minute: z.number().int().positive().default(60).describe('Default 60. Fortinet documents no REST API rate limit; this is conservative for a firewall\'s management plane.'),
  settle: settleTime('5m').describe('FortiOS logs forward traffic when the session closes (no published latency): 5m.'),
}).strict();

export type FortigateConfig = z.infer<typeof FortigateConfigSchema>;
