import * as z from 'zod';
import { durationString, parseDuration } from '../contracts/duration.js';

const MAX_SETTLE_MS = 3_600_000;

/** A source's `settle` with its vendor's default. */
export const settleTime = (vendorDefault: string) => durationString(0, MAX_SETTLE_MS).default(vendorDefault);

/** Fields every source has, whatever its vendor. Connector schemas extend this with `.extend({...})`. */
export const SourceCommonConfigSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/i, { error: 'must be letters, digits, - or _ (max 64)' }).describe('Stable name used in webhooks (`sources`), logs and coverage, e.g. "mde-prod".'),
  type: z.string().describe('The connector: one of the types below.'),
  base_url: z.url().describe('Vendor API base URL; configurable so that tests and the demo use loopback fakes.'),
  rate_limit_per_minute: z.number().int().positive().optional().describe('Request budget towards this vendor, across all workers. Default: the vendor\'s documented limit.'),
  max_hosts_per_query: z.number().int().min(1).max(1000).default(100).describe('Hosts per query; larger host sets are split. Default 100.'),
  timeout: durationString(1_000, 600_000).default('30s').describe('Per-request timeout. Default 30s.'),
  lookback: durationString(0, 86_400_000).default('10m').describe('How far back every poll re-reads to catch late telemetry. Default 10m.'),
  max_retries: z.number().int().min(0).max(10).default(4).describe('Retries of one request on 429, 5xx and timeouts before the poll reports a gap. Default 4.'),
  reprobe: durationString(1_000, 86_400_000).default('5m').describe('While a terminal failure (a rejected credential) pauses polling, how often the source is tried again. Default 5m.'),
  settle: settleTime('5m').describe('How long after an event happened the vendor has it searchable: a read at time t is taken as complete up to t - settle, and the close waits until that passes the window\'s end. Keep it within `lookback`. Default: the vendor\'s documented ingestion latency (see each connector\'s config; 5m where none is published).'),
  settle_grace: durationString(0, MAX_SETTLE_MS).default('10m').describe('How much longer than `settle` the close waits for a source that has not caught up; then the verdict is inconclusive. Default 10m.'),
});
export type SourceCommonConfig = z.infer<typeof SourceCommonConfigSchema>;

/** `prevalence_timeout` of the sources that aggregate the estate server-side. */
export const prevalenceTimeout = () =>
  durationString(1_000, 7_200_000)
    .default('15m')
    .describe(
      'How long one estate prevalence query, job or request may run. It reads every host\'s events over the whole prevalence window, far more than a poll, so it has its own limit rather than the poll\'s.',
    );

/**
 * `ingestion_overlap` of a source that filters re-reads on its ingestion (index) time: how far before the previous
 * read's end the re-read starts on that time. `why` says what the vendor stamps and when.
 */
export const ingestionOverlap = (why: string) =>
  durationString(0, MAX_SETTLE_MS)
    .default('2m')
    .describe(
      `A poll re-reads its look-back only for events the vendor ingested since the previous read ended, less this much. ${why} Default 2m; a value of \`lookback\` or more re-reads the whole look-back every poll.`,
    );

export const durationMs = (text: string): number => parseDuration(text) ?? 0;
