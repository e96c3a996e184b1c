import type { Redis } from 'ioredis';
import * as z from 'zod';
import { SEVERITY_ORDER, severityRank, SeveritySchema, type Severity } from '../contracts/common.js';
import { byReportOrder, FindingSchema, FindingStatusSchema, retryRateOf, type Finding, type FindingMark, type FindingStatus } from '../contracts/finding.js';
import type { Assessment } from '../detect/types.js';
import { eventDigest } from '../lib/event-digest.js';
import type { RedisKeys } from '../lib/keys.js';
import { APPLY_EVENTS_SCRIPT } from './apply-events-script.js';
import { TRIAGE_SCRIPT } from './triage-script.js';
import { LuaScript } from '../lib/lua-script.js';

const APPLY_EVENTS = new LuaScript(APPLY_EVENTS_SCRIPT);
const TRIAGE = new LuaScript(TRIAGE_SCRIPT);

export interface AssessedEvent {
  eventId: string;
  time: number;
  source: string;
  assessment: Assessment;
}

export type FindingChange = 'created' | 'escalated' | 'updated';

/** An event the findings script could not decode or apply: recorded as seen, counted, listed, never a finding. */
export interface QuarantinedEvent {
  eventId: string;
  reason: string;
}

export interface ApplyResult {
  newEvents: number;
  changes: { findingId: string; change: FindingChange }[];
  /** Events set aside by this call (each event id at most once per watch, like any event). */
  quarantined: QuarantinedEvent[];
  /** The time of the oldest new event inside the late window: telemetry a previous read covered but did not deliver. */
  oldestLate?: number;
}

/** Event times (epoch ms, from inclusive, to exclusive) that an earlier read already covered. */
export interface LateWindow {
  from: number;
  to: number;
}

/** The stored form of a finding: the contract plus merge bookkeeping (epoch times, severity rank, version). */
const StoredFindingSchema = FindingSchema.omit({ first_seen: true, last_seen: true, retry_rate: true }).extend({
  first_ms: z.number(),
  last_ms: z.number(),
  rank: z.number(),
  version: z.number().int(),
  retry: z.object({ minutes: z.number().int(), peak: z.number().int(), peak_ms: z.number() }).optional(),
});
type StoredFinding = z.infer<typeof StoredFindingSchema>;

/** Lua's cjson writes an empty array as `{}`; the contract wants arrays back. */
const ARRAY_FIELDS = ['kind', 'reasons', 'sources'] as const;

const BATCH = 500;
/** Quarantined events listed per watch, newest first; the count in the event stats keeps counting past it. */
export const QUARANTINE_LIST_CAP = 100;

/** A responder's decision on a finding: the mark records who, when and through which interaction (`ref`). */
export type TriageDecision =
  | { op: 'acknowledge'; mark: FindingMark }
  | { op: 'benign'; mark: NonNullable<Finding['benign']> }
  | { op: 'escalate'; mark: Omit<NonNullable<Finding['escalated']>, 'from'> };

export interface TriageResult {
  /** `repeat`: this interaction was applied before; `unchanged`: an earlier decision stands (see `earlier`). */
  outcome: 'changed' | 'repeat' | 'unchanged' | 'missing';
  status?: FindingStatus;
  severity?: Severity;
  /** The mark already there when nothing changed (who acknowledged or marked it benign first). */
  earlier?: FindingMark;
}

const EarlierMarkSchema = z.object({ by: z.string(), slack_user_id: z.string().optional(), at: z.string(), ref: z.string().optional() });

/** Findings, suppression counts and de-duplication of one watch's events, in Redis. */
export class FindingStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /**
   * Records events; an event id already recorded for this watch changes nothing, so a poll that is
   * repeated (overlapping look-back, at-least-once jobs, two workers) never doubles a count.
   * `trimBelowMs`: event ids older than this can no longer be re-read and are forgotten.
   */
  async apply(watchId: string, events: readonly AssessedEvent[], trimBelowMs = 0, lateWindow?: LateWindow): Promise<ApplyResult> {
    const result: ApplyResult = { newEvents: 0, changes: [], quarantined: [] };
    const merged = new Map<string, FindingChange>();
    const order: FindingChange[] = ['updated', 'escalated', 'created'];
    const recordable = events.filter((event) => event.assessment.type !== 'ignored');
    if (recordable.length === 0) {
      // A poll that re-read only recorded events still moves the window on: the ids it can no longer re-read go.
      if (trimBelowMs > 0) await this.forgetSeenBelow(watchId, trimBelowMs);
      return result;
    }
    for (let start = 0; start < recordable.length; start += BATCH) {
      const batch = recordable.slice(start, start + BATCH);
      const args: (string | number)[] = [
        start + BATCH >= recordable.length ? trimBelowMs : 0,
        batch.length,
        QUARANTINE_LIST_CAP,
        lateWindow?.from ?? 0,
        lateWindow?.to ?? 0,
      ];
      for (const event of batch) args.push(event.eventId, eventDigest(event.eventId), event.time, ...encode(event));
      const reply = (await APPLY_EVENTS.run(
        this.redis,
        [
          this.keys.seenEventDigests(watchId),
          this.keys.seenEvents(watchId),
          this.keys.findings(watchId),
          this.keys.suppressed(watchId),
          this.keys.eventStats(watchId),
          this.keys.retryMinutes(watchId),
          this.keys.quarantinedEvents(watchId),
        ],
        args,
      )) as (number | string)[];
      result.newEvents += Number(reply[0]);
      const oldestLate = Number(reply[2]);
      if (oldestLate >= 0) result.oldestLate = Math.min(result.oldestLate ?? oldestLate, oldestLate);
      const quarantinedEnd = 3 + 2 * Number(reply[1]);
      for (let index = 3; index < quarantinedEnd; index += 2) {
        result.quarantined.push({ eventId: String(reply[index]), reason: String(reply[index + 1]) });
      }
      for (let index = quarantinedEnd; index < reply.length; index += 2) {
        const findingId = String(reply[index]);
        const change = reply[index + 1] as FindingChange;
        const previous = merged.get(findingId);
        if (!previous || order.indexOf(change) > order.indexOf(previous)) merged.set(findingId, change);
      }
    }
    result.changes = [...merged].map(([findingId, change]) => ({ findingId, change }));
    return result;
  }

  /**
   * Which of `eventIds` the watch has recorded, in their order: those need no judging again. One round trip, a
   * second only while the watch still holds ids recorded in full by an earlier version.
   */
  async recordedAmong(watchId: string, eventIds: readonly string[]): Promise<boolean[]> {
    if (eventIds.length === 0) return [];
    const legacyKey = this.keys.seenEvents(watchId);
    const replies = await this.redis
      .pipeline()
      .exists(legacyKey)
      .zmscore(this.keys.seenEventDigests(watchId), ...eventIds.map(eventDigest))
      .exec();
    const [legacy, scores] = (replies ?? []).map(([error, reply]) => {
      if (error) throw error;
      return reply;
    }) as [number, (string | null)[]];
    const recorded = scores.map((score) => score !== null);
    if (legacy === 0) return recorded;
    const legacyScores = await this.redis.zmscore(legacyKey, ...eventIds);
    return recorded.map((known, index) => known || legacyScores[index] !== null);
  }

  /** Forgets the recorded events older than `belowMs`: they can no longer be re-read. */
  private async forgetSeenBelow(watchId: string, belowMs: number): Promise<void> {
    await this.redis
      .multi()
      .zremrangebyscore(this.keys.seenEventDigests(watchId), '-inf', `(${belowMs}`)
      .zremrangebyscore(this.keys.seenEvents(watchId), '-inf', `(${belowMs}`)
      .exec();
  }

  /**
   * Applies a responder's decision atomically and bumps the finding's version, so the reporter edits its message.
   * Escalation raises the severity one step (critical stays critical). Repeating the same `mark.ref` changes nothing.
   */
  async triage(watchId: string, findingId: string, decision: TriageDecision): Promise<TriageResult> {
    const reply = (await TRIAGE.run(this.redis, [this.keys.findings(watchId)], [findingId, decision.op, JSON.stringify(decision.mark), ...SEVERITY_ORDER])) as string[];
    const [outcome, status, severity, earlier] = reply;
    if (outcome === 'missing') return { outcome };
    const parsedEarlier = earlier ? EarlierMarkSchema.safeParse(JSON.parse(earlier)) : undefined;
    return {
      outcome: outcome === 'changed' || outcome === 'repeat' ? outcome : 'unchanged',
      status: FindingStatusSchema.parse(status),
      severity: SeveritySchema.parse(severity),
      ...(parsedEarlier?.success ? { earlier: parsedEarlier.data } : {}),
    };
  }

  async list(watchId: string): Promise<Finding[]> {
    const stored = await this.redis.hvals(this.keys.findings(watchId));
    return stored
      .map((json) => toFinding(parseStored(json)))
      .sort(byReportOrder);
  }

  async get(watchId: string, findingId: string): Promise<{ finding: Finding; version: number } | undefined> {
    const json = await this.redis.hget(this.keys.findings(watchId), findingId);
    if (!json) return undefined;
    const stored = parseStored(json);
    return { finding: toFinding(stored), version: stored.version };
  }

  /** Finding ids whose stored version is newer than the version last published to the reporter. */
  async unpublished(watchId: string): Promise<string[]> {
    const [stored, published] = await Promise.all([
      this.redis.hgetall(this.keys.findings(watchId)),
      this.redis.hgetall(this.keys.publishedFindings(watchId)),
    ]);
    return Object.entries(stored)
      .filter(([id, json]) => parseStored(json).version > Number(published[id] ?? 0))
      .map(([id]) => id);
  }

  async markPublished(watchId: string, findingId: string, version: number): Promise<void> {
    await this.redis.hset(this.keys.publishedFindings(watchId), findingId, version);
  }

  async suppressed(watchId: string): Promise<{ count: number; by_rule: Record<string, number> }> {
    const byRule = Object.fromEntries(
      Object.entries(await this.redis.hgetall(this.keys.suppressed(watchId))).map(([rule, count]) => [rule, Number(count)]),
    );
    return { count: Object.values(byRule).reduce((sum, count) => sum + count, 0), by_rule: byRule };
  }

  /** `quarantined`: events set aside because they could not be decoded or applied (see `quarantinedEvents`). */
  async eventStats(watchId: string): Promise<{ events: number; normal: number; quarantined: number }> {
    const stats = await this.redis.hgetall(this.keys.eventStats(watchId));
    return { events: Number(stats.events ?? 0), normal: Number(stats.normal ?? 0), quarantined: Number(stats.quarantined ?? 0) };
  }

  /** The newest quarantined events of a watch (at most `QUARANTINE_LIST_CAP`), with why each was set aside. */
  async quarantinedEvents(watchId: string): Promise<QuarantinedEvent[]> {
    const entries = await this.redis.lrange(this.keys.quarantinedEvents(watchId), 0, -1);
    return entries.map((entry) => {
      const tab = entry.indexOf('\t');
      return tab < 0 ? { eventId: entry, reason: '' } : { eventId: entry.slice(0, tab), reason: entry.slice(tab + 1) };
    });
  }

  countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
    const counts = Object.fromEntries(SeveritySchema.options.map((severity) => [severity, 0])) as Record<Severity, number>;
    for (const finding of findings) counts[finding.severity] += 1;
    return counts;
  }
}

function encode(event: AssessedEvent): [string, string] {
  const { assessment } = event;
  switch (assessment.type) {
    case 'suppressed':
      return ['s', assessment.ruleId];
    case 'finding':
      return [
        'f',
        JSON.stringify({
          ...assessment.finding,
          id: assessment.findingId,
          rank: severityRank(assessment.finding.severity),
          sources: [event.source],
        }),
      ];
    default:
      return ['n', ''];
  }
}

function parseStored(json: string): StoredFinding {
  const raw = JSON.parse(json) as Record<string, unknown>;
  for (const field of ARRAY_FIELDS) {
    if (raw[field] !== null && typeof raw[field] === 'object' && !Array.isArray(raw[field])) raw[field] = [];
  }
  return StoredFindingSchema.parse(raw);
}

function toFinding(stored: StoredFinding): Finding {
  const { first_ms, last_ms, rank: _rank, version: _version, retry, ...finding } = stored;
  return {
    ...finding,
    first_seen: new Date(first_ms).toISOString(),
    last_seen: new Date(last_ms).toISOString(),
    ...(retry ? { retry_rate: retryRateOf(retry) } : {}),
  };
}
