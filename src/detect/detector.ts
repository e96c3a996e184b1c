import type { Severity } from '../contracts/common.js';
import type { ConnectionEvent } from '../contracts/connection-event.js';
import type { Indicator } from '../contracts/containment-request.js';
import type { FindingKind } from '../contracts/finding.js';
import type { WatchedHost } from '../contracts/watch.js';
import { compileAllowRules, type RuleSubject } from './allow-rules.js';
import type { CompiledBaseline, CompiledHostBaseline } from './baseline.js';
import { BUILTIN_ALLOW_RULES } from './catalog.js';
import { findingId } from './finding-id.js';
import { createHostMatcher, hostIdentity, hostLabel } from './host-match.js';
import { compileIndicators } from './indicators.js';
import { lolbinInfo, userWritableFragment, type LolbinInfo } from './lolbins.js';
import {
  compileCidrList,
  isLoopbackOrLinkLocal,
  isMulticastOrBroadcast,
  normalizeHostname,
  normalizeIp,
  parseIp,
} from './net.js';
import { DYNAMIC_RPC_FROM, DYNAMIC_RPC_TO, ProtocolPortSet, parsePortSpec } from './ports.js';
import { basename, hasNoArguments } from './process-identity.js';
import * as reasons from './reasons.js';
import { BLOCKED_RETRY_SCORE, orStrength, SIGNAL_WEIGHTS as W, severityOf, toScore } from './scoring.js';
import type { AllowRule, DetectionSettings } from './settings.js';
import type { Assessment, Detector, WatchDetectionContext } from './types.js';

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

/** What one event says, normalized once. */
interface Facts extends RuleSubject {
  processKey: string;
}

interface Signals {
  quiet: number;
  lolbin: LolbinInfo | undefined;
  noArgs: boolean;
  writable: string | undefined;
  /** Other baseline hosts where the process made connections. */
  fleetHosts: number;
  port: number;
  portHosts: number;
  destination: number;
  internal: boolean;
}

/**
 * Builds the detector of one watch: everything it needs per event (indicators, allow-rules, host lookups,
 * networks, known-good ports) is compiled here, once.
 *
 * Order of judgement: non-outbound, loopback/link-local/multicast and other hosts' events are ignored; a blocked
 * indicator is always a finding (no allow-rule hides it); then allow-rules (YAML, extra, built-in catalog)
 * suppress; an exact baseline tuple is normal; everything else is scored on `quiet_process`, `uncommon_port`
 * and `new_destination`, and reported when the score reaches `tuning.min_score`.
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
  const signals: Signals = {
    quiet: 0,
    lolbin: undefined,
    noArgs: false,
    writable: undefined,
    fleetHosts: 0,
    port: 0,
    portHosts: 0,
    destination: 0,
    internal: false,
  };

  const suppressed = (ruleId: string): Assessment => {
    let assessment = suppressedByRule.get(ruleId);
    if (!assessment) {
      assessment = Object.freeze({ type: 'suppressed', ruleId });
      suppressedByRule.set(ruleId, assessment);
    }
    return assessment;
  };

  function scoreQuietProcess(event: ConnectionEvent, facts: Facts, hostBaseline: CompiledHostBaseline | undefined): void {
    signals.quiet = 0;
    signals.lolbin = undefined;
    signals.noArgs = false;
    signals.writable = undefined;
    signals.fleetHosts = 0;
    if (facts.processKey === '') return;
    if (hostBaseline && (hostBaseline.processes.has(facts.processKey) || (facts.sha1 !== undefined && hostBaseline.sha1s.has(facts.sha1)))) {
      return;
    }
    const fleetHosts = Math.max(baseline.processHosts(facts.processKey), facts.sha1 === undefined ? 0 : baseline.sha1Hosts(facts.sha1));
    // Without this host's own history, what other hosts did is the best evidence that the process is ordinary.
    if (!hostBaseline && fleetHosts > 0) return;
    let strength = hostBaseline ? (fleetHosts > 0 ? W.quietFleetKnown : W.quietUnseen) : 0;
    const lolbin = lolbinInfo(facts.exe);
    if (lolbin) {
      strength = orStrength(strength, lolbin.weight);
      if (lolbin.noArgsSuspicious && hasNoArguments(event.process?.cmd_line)) {
        signals.noArgs = true;
        strength = orStrength(strength, W.noArguments);
      }
    }
    const writable = userWritableFragment(facts.path);
    if (writable !== undefined) strength = orStrength(strength, W.userWritablePath);
    signals.quiet = strength;
    signals.lolbin = lolbin;
    signals.writable = writable;
    signals.fleetHosts = fleetHosts;
  }

  function scoreUncommonPort(facts: Facts, dstInternal: boolean): void {
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

  function scoreNewDestination(facts: Facts, dstInternal: boolean): void {
    signals.destination = 0;
    const { dstIp, dstHostname } = facts;
    if (baseline.hostCount === 0 || (dstIp === undefined && dstHostname === undefined)) return;
    if (dstIp !== undefined && (infrastructure.has(dstIp) || baseline.destinationHosts(dstIp) > 0)) return;
    if (dstHostname !== undefined && baseline.destinationHosts(dstHostname) > 0) return;
    if (dstInternal) signals.destination = W.destinationInternal;
    else signals.destination = dstHostname === undefined ? W.destinationBareIp : W.destinationNamed;
  }

  function findingOf(
    event: ConnectionEvent,
    facts: Facts,
    host: WatchedHost,
    kind: FindingKind[],
    severity: Severity,
    score: number,
    why: string[],
  ): Assessment {
    const process = event.process;
    const id = findingId({
      watchId: context.watchId,
      host: hostIdentity(host),
      process: facts.processKey,
      destination: facts.dstIp ?? facts.dstHostname ?? '',
      port: facts.port,
      protocol: facts.protocol,
    });
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
        host: hostLabel(host),
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
        connected: event.outcome === 'success' || event.outcome === 'unknown',
      },
    };
  }

  function blockedRetry(event: ConnectionEvent, facts: Facts, host: WatchedHost, indicator: Indicator): Assessment {
    const score =
      event.outcome === 'success'
        ? BLOCKED_RETRY_SCORE.failed
        : event.outcome === 'unknown'
          ? BLOCKED_RETRY_SCORE.unknown
          : BLOCKED_RETRY_SCORE.held;
    const severity: Severity = event.outcome === 'success' ? 'critical' : 'high';
    const why = reasons.blockedRetryReasons(hostLabel(host), indicator, event.outcome);
    return findingOf(event, facts, host, ['blocked_retry'], severity, score, why);
  }

  function assess(event: ConnectionEvent): Assessment {
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

    const process = event.process;
    const path = process?.path === undefined || process.path === '' ? undefined : process.path.toLowerCase();
    const name = process?.name === undefined || process.name === '' ? undefined : process.name.toLowerCase();
    const facts: Facts = {
      host,
      path,
      exe: path === undefined ? name : basename(path),
      sha1: process?.sha1 === undefined || process.sha1 === '' ? undefined : process.sha1.toLowerCase(),
      signer: process?.signer,
      dstIp,
      dstParsed,
      dstHostname: normalizeHostname(event.dst_endpoint.hostname),
      port: event.dst_endpoint.port,
      protocol: event.protocol.toLowerCase(),
      processKey: path ?? name ?? '',
    };

    const indicator = indicators.match(dstIp, facts.dstHostname, dstParsed);
    if (indicator) return blockedRetry(event, facts, host, indicator);

    const ruleId = allowRules.match(facts, now());
    if (ruleId !== undefined) return suppressed(ruleId);

    const hostBaseline = hostBaselines.get(host);
    if (hostBaseline?.hasTuple(facts.processKey, facts.dstIp, facts.dstHostname, facts.port, facts.protocol)) return NORMAL;

    const dstInternal = dstParsed !== undefined && internal.size > 0 && internal.contains(dstParsed);
    signals.internal = dstInternal;
    scoreQuietProcess(event, facts, hostBaseline);
    scoreUncommonPort(facts, dstInternal);
    scoreNewDestination(facts, dstInternal);
    const score = toScore(orStrength(orStrength(signals.quiet, signals.port), signals.destination));
    const severity = severityOf(score, tuning);
    if (severity === undefined) return NORMAL;
    return findingOf(event, facts, host, kindsOf(signals), severity, score, explain(event, facts, host, hostBaseline));
  }

  function explain(event: ConnectionEvent, facts: Facts, host: WatchedHost, hostBaseline: CompiledHostBaseline | undefined): string[] {
    const why: string[] = [];
    const label = hostLabel(host);
    if (signals.quiet > 0) {
      const exe = processName(event) ?? 'the process';
      why.push(
        hostBaseline
          ? reasons.quietProcessReason(exe, label, windowText, signals.fleetHosts)
          : reasons.noBaselineReason(exe, label),
      );
      if (signals.lolbin) why.push(reasons.lolbinReason(exe));
      if (signals.noArgs) why.push(reasons.noArgumentsReason(exe));
      if (signals.writable !== undefined) {
        why.push(reasons.userWritableReason(event.process?.path ?? exe, signals.writable));
      }
    }
    if (signals.port > 0) {
      why.push(reasons.uncommonPortReason(facts.protocol, facts.port, signals.portHosts, baseline.hostCount));
    }
    if (signals.destination > 0) {
      const ip = facts.dstIp === undefined ? undefined : event.dst_endpoint.ip;
      const hostname = facts.dstHostname === undefined ? undefined : event.dst_endpoint.hostname;
      why.push(reasons.newDestinationReason(ip, hostname, signals.internal));
    }
    return why;
  }

  return { assess };
}

function kindsOf(signals: Signals): FindingKind[] {
  const kinds: FindingKind[] = [];
  if (signals.quiet > 0) kinds.push('quiet_process');
  if (signals.port > 0) kinds.push('uncommon_port');
  if (signals.destination > 0) kinds.push('new_destination');
  return kinds;
}

/** The image name as telemetry wrote it. */
function processName(event: ConnectionEvent): string | undefined {
  const process = event.process;
  if (process?.path !== undefined && process.path !== '') return basename(process.path);
  if (process?.name !== undefined && process.name !== '') return process.name;
  return undefined;
}
