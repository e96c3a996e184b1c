import * as z from 'zod';
import { ApiScopeSchema } from './api-scope.js';
import { FailureCodeSchema } from '../lib/failure.js';
import { SeveritySchema } from './common.js';
import { HostFields, IndicatorSchema } from './containment-request.js';

export const WatchStateSchema = z.enum(['baseline', 'watching', 'closed']);
export type WatchState = z.infer<typeof WatchStateSchema>;

export const VerdictSchema = z.enum(['held', 'breached', 'inconclusive']);
export type Verdict = z.infer<typeof VerdictSchema>;

/** One source as a close waiting for late telemetry sees it (the source's `settle`). */
export const SourceCatchUpSchema = z.object({
  source: z.string(),
  /** How far its telemetry is known complete: its last successful read, less its settle time, and no further than it read. */
  read_until: z.string().optional(),
  settle_ms: z.number().int().nonnegative(),
  /** The longest delay seen on events this source delivered late while the close waited; beyond settle_ms it is waited for. */
  observed_lag_ms: z.number().int().nonnegative().optional(),
  /** read_until has passed the window's end: the close has had its final look at this source. */
  caught_up: z.boolean(),
  /** When a successful read is expected to take it past the window's end. */
  expected_at: z.string(),
  /** When the close stops waiting for it (settle plus settle_grace after the end) and the verdict names it. */
  gives_up_at: z.string(),
});
export type SourceCatchUp = z.infer<typeof SourceCatchUpSchema>;

/** A close that waits, without holding a worker, until every source has caught up past the window's end. */
export const ClosingSchema = z.object({
  /** The window end this wait is for; a watch extended since is watching again and ignores it. */
  window_end: z.string(),
  since: z.string(),
  checked_at: z.string(),
  /** "closing: waiting for mde-prod to catch up, 3 min", as of checked_at; once closed, what the wait came to. */
  status: z.string(),
  sources: z.array(SourceCatchUpSchema),
});
export type Closing = z.infer<typeof ClosingSchema>;

export const WatchedHostSchema = z.object({
  ...HostFields,
  /** `ready` once the baseline of this host was taken from every source; `unavailable` when it failed for good. */
  baseline: z.enum(['pending', 'ready', 'unavailable']),
});
export type WatchedHost = z.infer<typeof WatchedHostSchema>;

export const AuditEntrySchema = z.object({
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  detail: z.string().optional(),
  /** The interaction (Slack action, command) behind the entry; a retried interaction is recorded once. */
  ref: z.string().optional(),
  /** The API scope the caller used, for an entry made through the API (Slack actions have their own authorizer). */
  scope: ApiScopeSchema.optional(),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;
/** Who makes a change: the actor's name and, through the API, the scope it used. */
export type AuditActor = Pick<AuditEntry, 'actor' | 'scope'>;

/** Lifecycle jobs the reconciler had to run again (a failed or vanished baseline or close job). */
export const WatchRecoverySchema = z.object({
  baseline_redrives: z.number().int().nonnegative().default(0),
  close_redrives: z.number().int().nonnegative().default(0),
  last_at: z.string(),
  last_reason: z.string(),
});
export type WatchRecovery = z.infer<typeof WatchRecoverySchema>;

/** A watch window as stored in Redis. Times are ISO strings. */
export const WatchSchema = z.object({
  id: z.string(),
  incident_id: z.string(),
  title: z.string().optional(),
  severity: SeveritySchema.optional(),
  slack_channel: z.string().optional(),
  control: z.string().optional(),
  blocked: z.array(IndicatorSchema),
  blocked_at: z.string(),
  hosts: z.array(WatchedHostSchema),
  sources: z.array(z.string()),
  duration_ms: z.number().int().positive(),
  poll_interval_ms: z.number().int().positive(),
  baseline_ms: z.number().int().positive(),
  state: WatchStateSchema,
  /** When the current baseline snapshot was taken; changes when merged hosts are baselined. */
  baseline_taken_at: z.string().optional(),
  verdict: VerdictSchema.optional(),
  verdict_reasons: z.array(z.string()).optional(),
  opened_by: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  expires_at: z.string(),
  closed_at: z.string().optional(),
  /** Set while (and after) the close waited for its sources' telemetry to catch up past the window's end. */
  closing: ClosingSchema.optional(),
  stop_reason: z.string().optional(),
  action_ids: z.array(z.string()),
  audit: z.array(AuditEntrySchema),
  recovery: WatchRecoverySchema.optional(),
});
export type Watch = z.infer<typeof WatchSchema>;

export const SourceGapSchema = z.object({ from: z.string(), to: z.string(), reason: z.string() });

/** How one source has served one watch: what was covered, what failed, which hosts it never saw. */
export const EstatePrevalenceUseSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('used'),
    host_count: z.number().int().nonnegative(),
    from: z.string(),
    to: z.string(),
    refreshed_at: z.string(),
    /** The source cut its answer: counts are lower bounds. */
    partial: z.boolean(),
  }),
  z.object({ status: z.literal('unavailable'), reason: z.string() }),
]);
export type EstatePrevalenceUse = z.infer<typeof EstatePrevalenceUseSchema>;

/** A source whose polling is paused by a terminal failure (a rejected credential): re-probed at `next_probe_at`. */
export const SourcePauseSchema = z.object({
  code: FailureCodeSchema,
  /** When this code was first seen. */
  since: z.string(),
  next_probe_at: z.string(),
});
export type SourcePause = z.infer<typeof SourcePauseSchema>;

/**
 * A source polled less often than its watches asked: one poll takes more queries than the share of the vendor's
 * request budget polls may use (see `rules/poll-pace.ts`).
 */
export const PollPaceSchema = z.object({
  /** The shortest poll interval the source's watches asked for. */
  asked_ms: z.number().int().positive(),
  /** How often the source is polled instead. */
  every_ms: z.number().int().positive(),
  queries_per_poll: z.number().int().positive(),
  budget_per_minute: z.number().int().positive(),
  /** Since when it has been slower than asked. */
  since: z.string(),
});
export type PollPace = z.infer<typeof PollPaceSchema>;

export const SourceHealthSchema = z.object({
  source: z.string(),
  /** The end of the telemetry window successfully read for this watch. */
  polled_until: z.string().optional(),
  last_success_at: z.string().optional(),
  last_error_at: z.string().optional(),
  last_error: z.string().optional(),
  consecutive_failures: z.number().int().nonnegative(),
  /** Hosts (watch host keys) whose telemetry up to polled_until was read; others are read from blocked_at. */
  polled_hosts: z.array(z.string()),
  /** Age of the newest event this source returned for the watch's hosts at the last success, in ms. */
  lag_ms: z.number().int().nonnegative().optional(),
  events_seen: z.number().int().nonnegative(),
  /** Lone UTF-16 surrogates in this source's events for the watch, replaced with U+FFFD at the connector boundary. */
  strings_repaired: z.number().int().nonnegative().optional(),
  /** This source's events the finding store could not decode or apply: set aside, counted, never blocking the rest. */
  events_quarantined: z.number().int().nonnegative().optional(),
  hosts_seen: z.array(z.string()),
  /** Per host (as in hosts_seen), the time of its newest event from this source during the window. */
  hosts_last_seen: z.record(z.string(), z.string()).optional(),
  /** Hosts the source said it cannot see at all (unknown to the EDR, no IP for a firewall), with its reason. */
  hosts_invisible: z.array(z.object({ host: z.string(), reason: z.string() })).optional(),
  /** What this source's telemetry cannot show even when every poll succeeds (e.g. Elastic Defend's de-duplication). */
  notes: z.string().optional(),
  /** Hosts whose baseline from this source was reused from an earlier watch, and when that one was taken. */
  baseline_reused: z.array(z.object({ host: z.string(), taken_at: z.string() })).optional(),
  /** The estate-wide prevalence from this source that the watch's baseline used, or why it had none. */
  prevalence: EstatePrevalenceUseSchema.optional(),
  gaps: z.array(SourceGapSchema),
  /** Set while the source's polling is paused; the gap it leaves is in `gaps`. */
  paused: SourcePauseSchema.optional(),
  /** Set while the source is polled less often than asked, to stay within its request budget. */
  slowed: PollPaceSchema.optional(),
  /**
   * The longest delay seen recently of an event a read delivered although an earlier read had covered its time (late
   * ingestion), and when it was seen; the close waits at least that long for the source.
   */
  late_arrival: z.object({ lag_ms: z.number().int().nonnegative(), seen_at: z.string() }).optional(),
});
export type SourceHealth = z.infer<typeof SourceHealthSchema>;

/** A source's health as the API shows it: plus the watched hosts it has sent no telemetry for yet. */
export const SourceCoverageSchema = SourceHealthSchema.extend({ hosts_unseen: z.array(z.string()) });

export const FindingCountsSchema = z.record(SeveritySchema, z.number().int().nonnegative());

/** The incident channel could not be used: the watch's messages went to the fallback channel instead. */
export const SlackDeliveryProblemSchema = z.object({
  /** Slack's error, e.g. `channel_not_found` or `not_in_channel`. */
  problem: z.string(),
  channel: z.string(),
  fallback_channel: z.string(),
  at: z.string(),
});
export type SlackDeliveryProblem = z.infer<typeof SlackDeliveryProblemSchema>;

/** What `GET /v1/watches/{id}` returns and what reporters render. */
export const WatchViewSchema = WatchSchema.omit({ audit: true }).extend({
  findings: z.object({ total: z.number().int(), by_severity: FindingCountsSchema }),
  suppressed: z.object({ count: z.number().int(), by_rule: z.record(z.string(), z.number().int()) }),
  coverage: z.array(SourceCoverageSchema),
  audit: z.array(AuditEntrySchema),
  status_url: z.string(),
  /** Set when the incident channel could not be used and Slack messages went to the default channel. */
  slack_delivery: SlackDeliveryProblemSchema.optional(),
  /** Hosts that were reporting during the window and then went quiet on every source, with when each was last heard. */
  quiet_hosts: z.array(z.object({ host: z.string(), last_heard: z.string() })).default([]),
});
export type WatchView = z.infer<typeof WatchViewSchema>;
