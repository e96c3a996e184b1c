import * as z from 'zod';
import { SeveritySchema, severityRank } from './common.js';

export const FindingKindSchema = z.enum([
  'blocked_retry',
  'uncommon_port',
  'quiet_process',
  'new_process',
  'concealed_command',
  'new_destination',
  'protocol_shift',
  'beaconing',
]);
export type FindingKind = z.infer<typeof FindingKindSchema>;

export const FindingProcessSchema = z.object({
  name: z.string(),
  path: z.string().optional(),
  cmd_line: z.string().optional(),
  user: z.string().optional(),
  sha1: z.string().optional(),
  pid: z.number().int().optional(),
  /** Parent image name: lineage a responder reads at a glance (services.exe, wmiprvse.exe, ...). */
  parent_name: z.string().optional(),
  /** When the process started (ISO 8601), when the telemetry says. */
  started_at: z.string().optional(),
});

export const FindingStatusSchema = z.enum(['open', 'acknowledged', 'benign']);
export type FindingStatus = z.infer<typeof FindingStatusSchema>;

/** Who did something to a finding, and when (a responder in Slack, or an API caller). */
export const FindingMarkSchema = z.object({
  /** The actor as the audit trail names it, e.g. `slack:U0123ABC (alice)`. */
  by: z.string(),
  /** Set when the actor is a Slack user, so Slack renderings can mention them. */
  slack_user_id: z.string().optional(),
  at: z.string(),
  /** The interaction that made the mark; a repeat of the same interaction changes nothing. */
  ref: z.string().optional(),
});
export type FindingMark = z.infer<typeof FindingMarkSchema>;

export const BenignScopeSchema = z.enum(['incident', 'everywhere']);
export type BenignScope = z.infer<typeof BenignScopeSchema>;

export const BenignMarkSchema = FindingMarkSchema.extend({
  reason: z.string(),
  scope: BenignScopeSchema,
  /** The allow-rule created for future matching events. */
  rule_id: z.string(),
  expires: z.string().optional(),
});
export type BenignMark = z.infer<typeof BenignMarkSchema>;

export const EscalationMarkSchema = FindingMarkSchema.extend({ from: SeveritySchema });
export type EscalationMark = z.infer<typeof EscalationMarkSchema>;

/**
 * How hard an implant still tries a blocked indicator, in attempts per UTC minute (the one-minute bins of the
 * "repeated blocked connections" analytics): set on `blocked_retry` findings only.
 */
export const RetryRateSchema = z.object({
  /** Minutes with at least one attempt. */
  minutes: z.number().int().positive(),
  /** The most attempts in one minute. */
  peak: z.number().int().positive(),
  /** The start of the first minute that saw `peak` attempts. */
  peak_minute: z.string(),
});
export type RetryRate = z.infer<typeof RetryRateSchema>;

/** The contract form of the per-minute bins both finding merges keep (live store and backtest). */
export const retryRateOf = (retry: { minutes: number; peak: number; peak_ms: number }): RetryRate => ({
  minutes: retry.minutes,
  peak: retry.peak,
  peak_minute: new Date(retry.peak_ms).toISOString(),
});

/**
 * One suspicious (host, process, destination, port, protocol) tuple of a watch. Repeats of the same tuple
 * only raise `count` and move `last_seen`.
 */
export const FindingSchema = z.object({
  id: z.string(),
  watch_id: z.string(),
  host: z.string(),
  process: FindingProcessSchema,
  dst: z.object({ ip: z.string().optional(), port: z.number().int().optional(), hostname: z.string().optional() }),
  protocol: z.string(),
  kind: z.array(FindingKindSchema).min(1),
  severity: SeveritySchema,
  score: z.number().min(0).max(100),
  reasons: z.array(z.string()),
  /**
   * True when at least one event got through: for `blocked_retry` only a reported success counts; for other kinds
   * an outcome the source does not report counts too.
   */
  connected: z.boolean(),
  first_seen: z.string(),
  last_seen: z.string(),
  count: z.number().int().positive(),
  retry_rate: RetryRateSchema.optional(),
  sources: z.array(z.string()),
  status: FindingStatusSchema,
  acknowledged: FindingMarkSchema.optional(),
  benign: BenignMarkSchema.optional(),
  /** The last escalation; `severity` already holds the raised value. */
  escalated: EscalationMarkSchema.optional(),
});
export type Finding = z.infer<typeof FindingSchema>;

/** The order findings are listed in everywhere: most severe first, then the earliest, then by id (ties stay put). */
export const byReportOrder = (a: Finding, b: Finding): number =>
  severityRank(b.severity) - severityRank(a.severity) || a.first_seen.localeCompare(b.first_seen) || a.id.localeCompare(b.id);
