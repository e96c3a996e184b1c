import type { Severity } from '../contracts/common.js';
import type { ConnectionEvent } from '../contracts/connection-event.js';
import type { Indicator } from '../contracts/containment-request.js';
import type { FindingKind } from '../contracts/finding.js';
import type { WatchedHost } from '../contracts/watch.js';
import { compileAllowRules } from './allow-rules.js';
import type { CompiledBaseline, CompiledHostBaseline } from './baseline.js';
import type { BeaconTrack } from './beacon-history.js';
import { scoreBeacon, type BeaconScore } from './beaconing.js';
import { BUILTIN_ALLOW_RULES } from './catalog.js';
import { factsOf, processName, type EventFacts } from './facts.js';
import { findingId } from './finding-id.js';
import { createHostMatcher, hostIdentity, hostLabel } from './host-match.js';
import { compileIndicators } from './indicators.js';
import { compileCidrList, isLoopbackOrLinkLocal, isMulticastOrBroadcast, normalizeIp, parseIp } from './net.js';
import { DYNAMIC_RPC_FROM, DYNAMIC_RPC_TO, ProtocolPortSet, parsePortSpec } from './ports.js';
import { createProtocolShiftJudge, emptyProtocolShiftSignal, LARGE_ICMP_BYTES } from './protocol-shift.js';
import { createQuietProcessJudge, emptyQuietProcessSignal } from './quiet-process.js';
import * as reasons from './reasons.js';
import { BLOCKED_RETRY_SCORE, orStrength, SIGNAL_WEIGHTS as W, severityOf, toScore } from './scoring.js';
import type { AllowRule, DetectionSettings } from './settings.js';
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

/** The signals of the event being judged that have no judge of their own. */
interface Signals {
  port: number;
  portHosts: number;
  destination: number;
  internal: boolean;
}

/** A tuple's beacon score and how many connections it has had, when an event is judged with its history. */
interface BeaconContext {
  beacon: BeaconScore;
  times: number;
}

/**
 * Builds the detector of one watch: everything it needs per event (indicators, allow-rules, host lookups,
 * networks, known-good ports) is compiled here, once.
 *
 * Order of judgement: non-outbound, loopback/link-local/multicast and other hosts' events are ignored; a blocked
 * indicator is always a finding (no allow-rule hides it); then allow-rules (YAML, extra, built-in catalog)
 * suppress; an exact baseline tuple is normal; everything else is scored on `quiet_process`, `uncommon_port`,
 * `new_destination` and `protocol_shift`, and reported when the score reaches `tuning.min_score`. `beaconing`
 * needs the tuple's history, so only `judgeBeacon` adds it, on top of the same judgement.
 */
export function createDetector(options: DetectorOptions): Detector {
  const { context, baseline, settings } = options;
  const now = options.now ?? Date.now;
  const tuning = settings.tuning;
  const matchHost = createHostMatcher(context.hosts);
  const indicators = compileIndicators(context.blocked);
  const allowRules = compileAllowRules(
    [...settings.allow, ...(options.extraAllowRules ?? []), ...(settings.builtin_catalog ? BUILTIN_ALLOW_RULES : [])],
    { incidentId: context.incidentId, hosts: context.hosts, nowMs: now() },
  );
  const internal = compileCidrList(settings.networks.internal);
  const infrastructure = new Set([...settings.networks.resolvers, ...settings.networks.proxies].map(normalizeIp));
  const knownGood = new ProtocolPortSet();
  for (const known of settings.ports.known_good) {
    const range = parsePortSpec(known.port);
    if (range) knownGood.add(known.protocol, range[0], range[1]);
  }
  const hostBaselines = new Map<WatchedHost, CompiledHostBaseline | undefined>(
    context.hosts.map((host) => [host, baseline.hosts.get(hostIdentity(host))]),
  );
  const windowText = reasons.baselineWindowText(baseline.windowMs);
  const suppressedByRule = new Map<string, Assessment>();
  const judgeQuietProcess = createQuietProcessJudge(baseline);
  const judgeProtocolShift = createProtocolShiftJudge(settings.networks, internal.size);
  const quiet = emptyQuietProcessSignal();
  const shift = emptyProtocolShiftSignal();
  const signals: Signals = { port: 0, portHosts: 0, destination: 0, internal: false };
  /** The last event judged: its facts, and its combined strength when it was scored (else -1). */
  let lastFacts: EventFacts | undefined;
  let lastStrength = -1;
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

  function scoreUncommonPort(facts: EventFacts, dstInternal: boolean): void {
    signals.port = 0;
    signals.portHosts = 0;
    if (baseline.hostCount === 0) return;
    const { protocol, port } = facts;
    if (knownGood.has(protocol, port) || baseline.isKnownGoodPort(protocol, port)) return;
    if (dstInternal && port !== undefined && port >= DYNAMIC_RPC_FROM && port <= DYNAMIC_RPC_TO) return;
    const seenOn = baseline.portHosts(protocol, port);
    signals.portHosts = seenOn;
    if (seenOn === 0) signals.port = W.portUnseen;
    else if (seenOn / baseline.hostCount <= tuning.uncommon_port_max_hosts) signals.port = W.portRare;
  }

  function scoreNewDestination(facts: EventFacts, dstInternal: boolean): void {
    signals.destination = 0;
    const { dstIp, dstHostname } = facts;
    if (baseline.hostCount === 0 || (dstIp === undefined && dstHostname === undefined)) return;
    if (dstIp !== undefined && (infrastructure.has(dstIp) || baseline.destinationHosts(dstIp) > 0)) return;
    if (dstHostname !== undefined && baseline.destinationHosts(dstHostname) > 0) return;
    if (dstInternal) signals.destination = W.destinationInternal;
    else signals.destination = dstHostname === undefined ? W.destinationBareIp : W.destinationNamed;
  }

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
        },
        dst,
        protocol: facts.protocol,
        kind,
        severity,
        score,
        reasons: why,
        // "Reached a blocked indicator" is a breach claim: only a reported success proves it. A fallback channel
        // whose outcome the source does not report counts as open, the safer reading for a new channel.
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
    why.push(reasons.beaconReason('retries', beaconTarget(event, facts), beacon.beacon, beacon.times));
    return findingOf(event, facts, ['blocked_retry', 'beaconing'], severity, toScore(orStrength(base / 100, W.beaconing)), why);
  }

  function judge(event: ConnectionEvent, beacon: BeaconContext | undefined): Assessment {
    lastFacts = undefined;
    lastStrength = -1;
    if (event.direction === 'inbound' || event.direction === 'listen') return IGNORED_DIRECTION;
    const rawIp = event.dst_endpoint.ip;
    const dstIp = rawIp === undefined || rawIp === '' ? undefined : normalizeIp(rawIp);
    const dstParsed = dstIp === undefined ? undefined : parseIp(dstIp);
    if (dstParsed !== undefined) {
      if (isLoopbackOrLinkLocal(dstParsed)) return IGNORED_LOCAL;
      if (isMulticastOrBroadcast(dstParsed)) return IGNORED_MULTICAST;
    }
    const host = matchHost(event);
    if (!host) return IGNORED_HOST;
    const facts = factsOf(event, host, dstIp, dstParsed);
    lastFacts = facts;

    const indicator = indicators.match(dstIp, facts.dstHostname, dstParsed);
    if (indicator) return blockedRetry(event, facts, indicator, beacon);

    const ruleId = allowRules.match(facts, now());
    if (ruleId !== undefined) return suppressed(ruleId);

    const hostBaseline = hostBaselines.get(host);
    if (hostBaseline?.hasTuple(facts.processKey, facts.dstIp, facts.dstHostname, facts.port, facts.protocol)) return NORMAL;

    const dstInternal = dstParsed !== undefined && internal.size > 0 && internal.contains(dstParsed);
    signals.internal = dstInternal;
    judgeQuietProcess(event, facts, hostBaseline, quiet);
    scoreUncommonPort(facts, dstInternal);
    scoreNewDestination(facts, dstInternal);
    judgeProtocolShift(event, facts, dstInternal, shift);
    const strength = orStrength(orStrength(orStrength(quiet.strength, signals.port), signals.destination), shift.strength);
    lastStrength = strength;
    const score = toScore(beacon ? orStrength(strength, W.beaconing) : strength);
    const severity = severityOf(score, tuning);
    if (severity === undefined) return NORMAL;
    return findingOf(event, facts, kindsOf(beacon !== undefined), severity, score, explain(event, facts, hostBaseline !== undefined, beacon));
  }

  function kindsOf(beaconing: boolean): FindingKind[] {
    const kinds: FindingKind[] = [];
    if (quiet.strength > 0) kinds.push('quiet_process');
    if (signals.port > 0) kinds.push('uncommon_port');
    if (signals.destination > 0) kinds.push('new_destination');
    if (shift.strength > 0) kinds.push('protocol_shift');
    if (beaconing) kinds.push('beaconing');
    return kinds;
  }

  function explain(event: ConnectionEvent, facts: EventFacts, hasHostBaseline: boolean, beacon: BeaconContext | undefined): string[] {
    const why: string[] = [];
    const label = hostLabel(facts.host);
    if (quiet.strength > 0) {
      const exe = processName(event) ?? 'the process';
      if (quiet.hostHistory === 'unseen') why.push(reasons.quietProcessReason(exe, label, windowText, quiet.fleetHosts));
      else if (!hasHostBaseline) why.push(reasons.noBaselineReason(exe, label));
      if (quiet.renamedFrom !== undefined) why.push(reasons.renamedReason(exe, quiet.renamedFrom));
      if (quiet.lolbinName !== undefined) why.push(reasons.lolbinReason(quiet.lolbinName === facts.exe ? exe : quiet.lolbinName));
      if (quiet.noArgs) why.push(reasons.noArgumentsReason(exe));
      if (quiet.emptyCommandLine) why.push(reasons.emptyCommandLineReason(exe));
      if (quiet.writable !== undefined) why.push(reasons.userWritableReason(event.process?.path ?? exe, quiet.writable));
      if (quiet.newHashOf > 0) why.push(reasons.newHashReason(exe, quiet.newHashOf));
      if (quiet.unsigned) why.push(reasons.unsignedReason(exe));
    }
    if (signals.port > 0) {
      why.push(reasons.uncommonPortReason(facts.protocol, facts.port, signals.portHosts, baseline.hostCount));
    }
    if (signals.destination > 0) {
      const ip = facts.dstIp === undefined ? undefined : event.dst_endpoint.ip;
      const hostname = facts.dstHostname === undefined ? undefined : event.dst_endpoint.hostname;
      why.push(reasons.newDestinationReason(ip, hostname, signals.internal));
    }
    if (shift.strength > 0) {
      const ip = event.dst_endpoint.ip ?? facts.dstIp ?? 'the destination';
      if (shift.dns !== undefined) why.push(reasons.dnsShiftReason(ip, shift.dns));
      if (shift.mismatch !== undefined) why.push(reasons.appPortReason(shift.mismatch, facts.protocol, facts.port));
      if (shift.icmp) why.push(reasons.icmpReason(ip, shift.icmpBytes, (shift.icmpBytes ?? 0) >= LARGE_ICMP_BYTES));
      if (shift.smb) why.push(reasons.smbReason(ip, facts.protocol, facts.port));
    }
    if (beacon) why.push(reasons.beaconReason('connects to', beaconTarget(event, facts), beacon.beacon, beacon.times));
    return why;
  }

  return {
    assess: (event) => judge(event, undefined),

    observe(event): Observation {
      const assessment = judge(event, undefined);
      if (assessment.type === 'finding') return { assessment, beaconTuple: assessment.findingId };
      // Scored below min_score (not an exact baseline tuple): worth a history only if a beacon could lift it.
      const facts = lastFacts;
      if (assessment.type === 'normal' && facts && lastStrength >= 0 && toScore(orStrength(lastStrength, W.beaconing)) >= tuning.min_score) {
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
      const result = judge(event, { beacon, times: track.total });
      return result.type === 'finding' ? result : undefined;
    },
  };
}

/** "192.0.2.44:443", "[2001:db8::7]:443", or "192.0.2.9 (icmp)" without a port. */
function beaconTarget(event: ConnectionEvent, facts: EventFacts): string {
  const address = event.dst_endpoint.ip ?? event.dst_endpoint.hostname ?? facts.dstIp ?? 'the destination';
  if (facts.port === undefined) return `${address} (${facts.protocol})`;
  return address.includes(':') ? `[${address}]:${facts.port}` : `${address}:${facts.port}`;
}
