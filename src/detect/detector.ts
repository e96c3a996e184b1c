import type { Severity } from '../contracts/common.js';
import type { ConnectionEvent } from '../contracts/connection-event.js';
import type { Indicator } from '../contracts/containment-request.js';
import type { FindingKind } from '../contracts/finding.js';
import type { WatchedHost } from '../contracts/watch.js';
import { allowRuleMatcher, sharedAllowRuleSet } from './allow-rules.js';
import type { CompiledBaseline, CompiledHostBaseline } from './baseline.js';
import type { BeaconTrack } from './beacon-history.js';
import { scoreBeacon, type BeaconScore } from './beaconing.js';
import { BUILTIN_ALLOW_RULES } from './catalog.js';
import { factsOf, processName, type EventFacts } from './facts.js';
import { findingId } from './finding-id.js';
import { createHostMatcher, hostIdentity, hostLabel } from '../contracts/host-identity.js';
import { sharedIndicators } from './indicators.js';
import { compileCidrList, isLoopbackOrLinkLocal, type CidrList, isMulticastOrBroadcast, normalizeIp, parseIp } from '../lib/net.js';
import * as reasons from './reasons.js';
import { BLOCKED_RETRY_SCORE, orStrength, SIGNAL_WEIGHTS as W, severityOf, toScore } from './scoring.js';
import type { AllowRule, DetectionSettings } from './settings.js';
import { beaconTarget } from './signals/beaconing.js';
import { SIGNALS } from './signals/index.js';
import type { BeaconContext, JudgedEvent, Signal } from './signals/signal.js';
import type { Assessment, Detector, FindingAssessment, Observation, WatchDetectionContext } from './types.js';

export interface DetectorOptions {
  context: WatchDetectionContext;
  baseline: CompiledBaseline;
  settings: DetectionSettings;
  /** Rules from outside the YAML, e.g. "Mark benign" from Slack (incident-scoped or global). Default: none. */
  extraAllowRules?: readonly AllowRule[];
  /** Clock for allow-rule expiry, epoch ms. Default `Date.now`. */
  now?: () => number;
}

export type { Detector };

const ignored = (reason: string): Assessment => Object.freeze({ type: 'ignored', reason });
const IGNORED_DIRECTION = ignored('not an outbound connection');
const IGNORED_LOCAL = ignored('loopback or link-local destination');
const IGNORED_MULTICAST = ignored('multicast or broadcast destination');
const IGNORED_HOST = ignored('host is not part of this watch');
const NORMAL: Assessment = Object.freeze({ type: 'normal' });
const NO_RULES: readonly AllowRule[] = Object.freeze([]);

const compiledNetworks = new WeakMap<readonly string[], CidrList>();

/** `networks.internal` compiled once per settings, not once per watch. */
function internalNetworks(entries: readonly string[]): CidrList {
  let networks = compiledNetworks.get(entries);
  if (!networks) {
    networks = compileCidrList(entries);
    compiledNetworks.set(entries, networks);
  }
  return networks;
}

/** The scored signals of one event: combined strength, kinds and reasons in `SIGNALS` order. */
interface Scored {
  strength: number;
  kinds: FindingKind[];
  why: string[];
}

/**
 * Builds the detector of one watch: everything it needs per event (indicators, allow-rules, host lookups, networks,
 * the signals of src/detect/signals/) is compiled here, once.
 *
 * Order of judgement: non-outbound, loopback/link-local/multicast and other hosts' events are ignored; a blocked
 * indicator is always a finding (no allow-rule hides it); then allow-rules (YAML, extra, built-in catalog)
 * suppress; an exact baseline tuple is normal unless its process first ran after the block; everything else is
 * scored by every signal (noisy-OR of their strengths) and reported when the score reaches `tuning.min_score`.
 * `beaconing` needs the tuple's history, so only `judgeBeacon` gives it one.
 */
export function createDetector(options: DetectorOptions): Detector {
  const { context, baseline, settings } = options;
  const now = options.now ?? Date.now;
  const tuning = settings.tuning;
  const matchHost = createHostMatcher(context.hosts);
  const indicators = sharedIndicators(context.blocked);
  // Each rule list is compiled once and shared by every detector given it; only the watch's scope is its own.
  const allowRules = allowRuleMatcher(
    [settings.allow, options.extraAllowRules ?? NO_RULES, settings.builtin_catalog ? BUILTIN_ALLOW_RULES : NO_RULES].map(sharedAllowRuleSet),
    { incidentId: context.incidentId, hosts: context.hosts, nowMs: now() },
  );
  const internal = internalNetworks(settings.networks.internal);
  const signals: Signal[] = SIGNALS.map((create) => create({ baseline, settings, internal, blockedAt: context.blockedAt }));
  const hostBaselines = new Map<WatchedHost, CompiledHostBaseline | undefined>(
    context.hosts.map((host) => [host, baseline.hosts.get(hostIdentity(host))]),
  );
  const suppressedByRule = new Map<string, Assessment>();
  /** A poll judges every event of a tuple against the same track: score it once. */
  const beaconScores = new WeakMap<BeaconTrack, BeaconScore | null>();

  const suppressed = (ruleId: string): Assessment => {
    let assessment = suppressedByRule.get(ruleId);
    if (!assessment) {
      assessment = Object.freeze({ type: 'suppressed', ruleId });
      suppressedByRule.set(ruleId, assessment);
    }
    return assessment;
  };

  const tupleId = (facts: EventFacts): string =>
    findingId({
      watchId: context.watchId,
      host: hostIdentity(facts.host),
      process: facts.processKey,
      destination: facts.dstIp ?? facts.dstHostname ?? '',
      port: facts.port,
      protocol: facts.protocol,
    });

  function findingOf(
    event: ConnectionEvent,
    facts: EventFacts,
    kind: FindingKind[],
    severity: Severity,
    score: number,
    why: string[],
  ): FindingAssessment {
    const process = event.process;
    const id = tupleId(facts);
    const dst: { ip?: string; port?: number; hostname?: string } = {};
    if (facts.dstIp !== undefined) dst.ip = event.dst_endpoint.ip ?? facts.dstIp;
    if (facts.port !== undefined) dst.port = facts.port;
    if (facts.dstHostname !== undefined && event.dst_endpoint.hostname !== undefined) dst.hostname = event.dst_endpoint.hostname;
    return {
      type: 'finding',
      findingId: id,
      finding: {
        id,
        watch_id: context.watchId,
        host: hostLabel(facts.host),
        process: {
          name: processName(event) ?? 'unknown',
          ...(process?.path !== undefined && { path: process.path }),
          ...(process?.cmd_line !== undefined && { cmd_line: process.cmd_line }),
          ...(process?.user !== undefined && { user: process.user }),
          ...(process?.sha1 !== undefined && { sha1: process.sha1 }),
          ...(process?.pid !== undefined && { pid: process.pid }),
          ...(process?.parent_name !== undefined && { parent_name: process.parent_name }),
          ...(process?.started_at !== undefined && { started_at: new Date(process.started_at).toISOString() }),
        },
        dst,
        protocol: facts.protocol,
        kind,
        severity,
        score,
        reasons: why,
        // A connection is open only when the telemetry says it succeeded; a fallback channel whose outcome the
        // source does not report counts as open (the safer reading for a new channel), a blocked indicator never.
        connected: event.outcome === 'success' || (event.outcome === 'unknown' && !kind.includes('blocked_retry')),
      },
    };
  }

  function blockedRetry(event: ConnectionEvent, facts: EventFacts, indicator: Indicator, beacon: BeaconContext | undefined): Assessment {
    const base =
      event.outcome === 'success'
        ? BLOCKED_RETRY_SCORE.failed
        : event.outcome === 'unknown'
          ? BLOCKED_RETRY_SCORE.unknown
          : BLOCKED_RETRY_SCORE.held;
    const severity: Severity = event.outcome === 'success' ? 'critical' : 'high';
    const why = reasons.blockedRetryReasons(hostLabel(facts.host), indicator, event.outcome);
    if (!beacon) return findingOf(event, facts, ['blocked_retry'], severity, base, why);
    why.push(reasons.beaconReason('retries', beaconTarget(event.dst_endpoint, facts), beacon.beacon, beacon.times));
    return findingOf(event, facts, ['blocked_retry', 'beaconing'], severity, toScore(orStrength(base / 100, W.beaconingSteady)), why);
  }

  function score(judged: JudgedEvent): Scored {
    let strength = 0;
    const kinds: FindingKind[] = [];
    const why: string[] = [];
    for (const signal of signals) {
      const found = signal.judge(judged);
      if (found === undefined || found.strength <= 0) continue;
      strength = orStrength(strength, found.strength);
      kinds.push(signal.kind);
      why.push(...found.reasons);
    }
    return { strength, kinds, why };
  }

  /** The event's judgement, and its score when it was scored (undefined for every other outcome). */
  function judge(event: ConnectionEvent, beacon: BeaconContext | undefined): { assessment: Assessment; facts?: EventFacts; scored?: Scored } {
    if (event.direction === 'inbound' || event.direction === 'listen') return { assessment: IGNORED_DIRECTION };
    const rawIp = event.dst_endpoint.ip;
    const dstIp = rawIp === undefined || rawIp === '' ? undefined : normalizeIp(rawIp);
    const dstParsed = dstIp === undefined ? undefined : parseIp(dstIp);
    if (dstParsed !== undefined) {
      if (isLoopbackOrLinkLocal(dstParsed)) return { assessment: IGNORED_LOCAL };
      if (isMulticastOrBroadcast(dstParsed)) return { assessment: IGNORED_MULTICAST };
    }
    const host = matchHost(event);
    if (!host) return { assessment: IGNORED_HOST };
    const facts = factsOf(event, host, dstIp, dstParsed);

    const indicator = indicators.match(dstIp, facts.dstHostname, dstParsed);
    if (indicator) return { assessment: blockedRetry(event, facts, indicator, beacon), facts };

    const ruleId = allowRules.match(facts, now());
    if (ruleId !== undefined) return { assessment: suppressed(ruleId), facts };

    const hostBaseline = hostBaselines.get(host);
    const startedAt = event.process?.started_at;
    const startedAfterBlock = context.blockedAt !== undefined && startedAt !== undefined && startedAt >= context.blockedAt;
    // A tuple the host had before is established behaviour, unless the process making it is new since the block.
    if (!startedAfterBlock && hostBaseline?.hasTuple(facts.processKey, facts.dstIp, facts.dstHostname, facts.port, facts.protocol)) {
      return { assessment: NORMAL, facts };
    }

    const dstInternal = dstParsed !== undefined && internal.size > 0 && internal.contains(dstParsed);
    const scored = score({ event, facts, hostBaseline, hostLabel: hostLabel(host), dstInternal, beacon });
    const total = toScore(scored.strength);
    const severity = severityOf(total, tuning);
    if (severity === undefined || scored.kinds.length === 0) return { assessment: NORMAL, facts, scored };
    return { assessment: findingOf(event, facts, scored.kinds, severity, total, scored.why), facts, scored };
  }

  return {
    matchHost,
    assess: (event) => judge(event, undefined).assessment,

    observe(event): Observation {
      const { assessment, facts, scored } = judge(event, undefined);
      if (assessment.type === 'finding') return { assessment, beaconTuple: assessment.findingId };
      // Scored below min_score (not an exact baseline tuple): worth a history only if the strongest beacon could lift it.
      if (assessment.type === 'normal' && facts && scored && toScore(orStrength(scored.strength, W.beaconingPersistent)) >= tuning.min_score) {
        return { assessment, beaconTuple: tupleId(facts) };
      }
      return { assessment, beaconTuple: undefined };
    },

    judgeBeacon(event, track: BeaconTrack) {
      let beacon = beaconScores.get(track);
      if (beacon === undefined) {
        beacon = scoreBeacon(track.samples, { minConnections: tuning.beacon_min_connections }) ?? null;
        beaconScores.set(track, beacon);
      }
      if (beacon === null || beacon.score < tuning.beacon_min_score) return undefined;
      const result = judge(event, { beacon, times: track.total }).assessment;
      return result.type === 'finding' ? result : undefined;
    },
  };
}
