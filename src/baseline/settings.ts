import * as z from 'zod';
import { durationString, parseDuration } from '../contracts/duration.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const PrevalenceSettingsSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Read each source\'s estate-wide prevalence (sources that support it).'),
    refresh_every: durationString(10 * MINUTE, 7 * DAY).default('24h').describe('How often each source\'s prevalence is read again.'),
    window: durationString(HOUR, 30 * DAY).default('7d').describe('The history each read covers, ending when it runs.'),
    max_destinations: z.number().int().min(100).max(200_000).default(20_000).describe('Destinations kept per source, the most widespread first.'),
    min_destination_hosts: z.number().int().min(2).max(1_000).default(2).describe(
      'Destinations contacted by fewer hosts are not kept: one host talking to an address is no evidence of normal.',
    ),
  })
  .describe('Estate-wide port and destination prevalence, one aggregate per source.');

/** The YAML `baselines` section: reuse of per-host baselines across watches, and the estate-wide prevalence. */
export const BaselineSettingsSchema = z.strictObject({
  reuse: z.boolean().default(true).describe('Reuse a host\'s baseline taken for an earlier watch; it is cached per source.'),
  reuse_for: durationString(MINUTE, 7 * DAY).default('24h').describe(
    'A cached host baseline serves a later watch whose block comes at most this long after the cached window ended (and whose baseline window is no longer).',
  ),
  stale_after: durationString(HOUR, 30 * DAY).default('24h').describe(
    'A host whose newest telemetry from a source is older than this at the block is named in the coverage as out of sight of that source (agent broken, host off): the watch may see nothing from it.',
  ),
  prevalence: PrevalenceSettingsSchema.prefault({}),
});
export type BaselineSettingsInput = z.input<typeof BaselineSettingsSchema>;

/** The same settings with durations in milliseconds, as the baseline jobs use them. */
export interface BaselinePolicy {
  /** 0 when reuse is off. */
  reuseForMs: number;
  staleAfterMs: number;
  prevalence: {
    enabled: boolean;
    refreshEveryMs: number;
    windowMs: number;
    maxDestinations: number;
    minDestinationHosts: number;
  };
}

export function baselinePolicyOf(input: BaselineSettingsInput = {}): BaselinePolicy {
  const settings = BaselineSettingsSchema.parse(input);
  return {
    reuseForMs: settings.reuse ? (parseDuration(settings.reuse_for) ?? 0) : 0,
    staleAfterMs: parseDuration(settings.stale_after) ?? DAY,
    prevalence: {
      enabled: settings.prevalence.enabled,
      refreshEveryMs: parseDuration(settings.prevalence.refresh_every) ?? DAY,
      windowMs: parseDuration(settings.prevalence.window) ?? 7 * DAY,
      maxDestinations: settings.prevalence.max_destinations,
      minDestinationHosts: settings.prevalence.min_destination_hosts,
    },
  };
}
