import * as z from 'zod';
import { durationString, parseDuration } from '../contracts/duration.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const PrevalenceSettingsSchema = z.strictObject({
  /** Read each source's estate-wide prevalence (sources that support it). Default true. */
  enabled: z.boolean().default(true),
  /** How often each source's prevalence is read again. Default 24h. */
  refresh_every: durationString(10 * MINUTE, 7 * DAY).default('24h'),
  /** The history each read covers, ending when it runs. Default 7d. */
  window: durationString(HOUR, 30 * DAY).default('7d'),
  /** Destinations kept per source, the most widespread first. Default 20,000. */
  max_destinations: z.number().int().min(100).max(200_000).default(20_000),
  /** Destinations contacted by fewer hosts are not kept: one host talking to an address is no evidence of normal. Default 2. */
  min_destination_hosts: z.number().int().min(2).max(1_000).default(2),
});

/** The YAML `baselines` section: reuse of per-host baselines across watches, and the estate-wide prevalence. */
export const BaselineSettingsSchema = z.strictObject({
  /** Reuse a host's baseline taken for an earlier watch. Default true. */
  reuse: z.boolean().default(true),
  /**
   * A cached host baseline serves a later watch whose block comes at most this long after the cached window ended
   * (and whose baseline window is no longer). Default 24h.
   */
  reuse_for: durationString(MINUTE, 7 * DAY).default('24h'),
  /**
   * A host whose newest telemetry from a source is older than this at the block is named in the coverage as out of
   * sight of that source (agent broken, host off): the watch may see nothing from it. Default 24h.
   */
  stale_after: durationString(HOUR, 30 * DAY).default('24h'),
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
