import * as z from 'zod';
import { BaselineSettingsSchema } from '../baseline/settings.js';
import { durationString } from '../contracts/duration.js';
import { AllowRulesSchema, DetectionTuningSchema, NetworksSchema, PortsSchema } from '../detect/settings.js';
import { SlackSettingsSchema } from './slack-settings.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

export const WatchDefaultsSchema = z.strictObject({
  duration: durationString(1_000, 30 * DAY).default('24h').describe('Watch window, from the block, when the webhook gives none.'),
  poll_interval: durationString(1_000, 60 * MINUTE).default('60s').describe('How often every source is polled, when the webhook gives none.'),
  baseline: durationString(MINUTE, 30 * DAY).default('7d').describe('History before the block that counts as normal, when the webhook gives none.'),
  slack_channel: z.string().min(1).optional().describe('Channel used when a webhook names none (overrides `SLACK_DEFAULT_CHANNEL`).'),
});

/**
 * containment-watch.yaml, apart from `sources`: each source is validated by its connector's own schema
 * (see config/load.ts), so the error names the source and the field.
 */
export const FileConfigSchema = z.strictObject({
  sources: z
    .array(z.looseObject({ type: z.string({ error: 'is required (one of the connector types)' }) }))
    .default([])
    .describe('Where telemetry comes from, each validated by its connector type\'s schema (below); a watch uses all of them unless its webhook names some.'),
  defaults: WatchDefaultsSchema.prefault({}).describe('The watch settings a webhook may leave out.'),
  allow: AllowRulesSchema.default([]).describe(
    'Suppression rules: a rule matches when every matcher it has matches, a list when any of its items does; strings compare case-insensitively.',
  ),
  networks: NetworksSchema.prefault({}).describe(
    'The environment\'s own networks. Nothing is internal unless listed: a C2 server can sit on a private address, so RFC 1918 is never assumed.',
  ),
  ports: PortsSchema.prefault({}).describe('Environment knowledge about ports; it seeds the baseline\'s port prevalence.'),
  detection: DetectionTuningSchema.prefault({}).describe('Scores and thresholds of the detector.'),
  baselines: BaselineSettingsSchema.prefault({}).describe('Per-host baselines reused across watches, and the estate-wide prevalence refreshed per source.'),
  slack: SlackSettingsSchema.prefault({}).describe('Slack interactivity: who may act on watches, whom Escalate mentions, delivery pacing.'),
});
export type FileConfig = z.infer<typeof FileConfigSchema>;
