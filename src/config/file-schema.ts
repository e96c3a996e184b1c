import * as z from 'zod';
import { BaselineSettingsSchema } from '../baseline/settings.js';
import { durationString } from '../contracts/duration.js';
import { AllowRulesSchema, DetectionTuningSchema, NetworksSchema, PortsSchema } from '../detect/settings.js';
import { SlackSettingsSchema } from '../slack/settings.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

export const WatchDefaultsSchema = z.strictObject({
  /** Watch window length. Default 24h. */
  duration: durationString(1_000, 30 * DAY).default('24h'),
  /** How often every source is polled. Default 60s. */
  poll_interval: durationString(1_000, 60 * MINUTE).default('60s'),
  /** History before the block that counts as normal. Default 7d. */
  baseline: durationString(MINUTE, 30 * DAY).default('7d'),
  /** Channel used when a webhook names none (overrides SLACK_DEFAULT_CHANNEL). */
  slack_channel: z.string().min(1).optional(),
});

/**
 * containment-watch.yaml, apart from `sources`: each source is validated by its connector's own schema
 * (see config/load.ts), so the error names the source and the field.
 */
export const FileConfigSchema = z.strictObject({
  sources: z.array(z.looseObject({ type: z.string({ error: 'is required (one of the connector types)' }) })).default([]),
  defaults: WatchDefaultsSchema.prefault({}),
  allow: AllowRulesSchema.default([]),
  networks: NetworksSchema.prefault({}),
  ports: PortsSchema.prefault({}),
  detection: DetectionTuningSchema.prefault({}),
  /** Per-host baselines reused across watches, and the estate-wide prevalence refreshed per source. */
  baselines: BaselineSettingsSchema.prefault({}),
  /** Slack interactivity: who may act on watches, whom Escalate mentions, delivery pacing. */
  slack: SlackSettingsSchema.prefault({}),
});
export type FileConfig = z.infer<typeof FileConfigSchema>;
