import { MAX_NAMES_PER_SHA1 } from '../baseline.js';
import { FULL_HOST_HISTORY_HOURS, historyDepth, historyText } from '../history-depth.js';
import { lolbinInfo, userWritableFragment } from '../lolbins.js';
import { hasNoArguments } from '../../lib/process-identity.js';
import { processName } from '../facts.js';
import * as reasons from '../reasons.js';
import { orStrength, SIGNAL_WEIGHTS as W } from '../scoring.js';
import type { SignalFactory } from './signal.js';

/**
 * Signer text meaning "not signed". The connection event has no signed/unsigned field, so a connector that knows
 * an image is unsigned (ECS `code_signature.exists: false`) writes this as the signer; an absent signer is unknown.
 */
export const UNSIGNED_SIGNER = 'unsigned';

/**
 * `quiet_process`: a process (by path and hash) with no network history on this host, weighed by the LOLBin prior,
 * a bare or empty command line, a user-writable folder, a renamed copy of a known hash, a hash new to the fleet, and
 * a missing signature. The "no history" parts weigh by how much history the host has (src/detect/history-depth.ts):
 * one hour of telemetry proves little; the binary's own traits weigh the same whatever the history.
 */
export const quietProcessSignal: SignalFactory = ({ baseline }) => ({
  kind: 'quiet_process',
  judge({ event, facts, hostBaseline, hostLabel }) {
    const { processKey, sha1, exe } = facts;
    if (processKey === '') return undefined;
    const renamedFrom = sha1 === undefined ? undefined : renamedFromOf(baseline.sha1Names(sha1), exe);
    const pathOnHost = hostBaseline?.processes.has(processKey) === true;
    // A renamed copy is not vouched for by the history of the binary it copies.
    if (renamedFrom === undefined && (pathOnHost || (sha1 !== undefined && hostBaseline?.sha1s.has(sha1) === true))) return undefined;
    const pathHosts = baseline.processHosts(processKey);
    const fleetHosts = renamedFrom === undefined && sha1 !== undefined ? Math.max(pathHosts, baseline.sha1Hosts(sha1)) : pathHosts;
    // Without this host's own history, what other hosts did is the best evidence that the process is ordinary.
    if (!hostBaseline && fleetHosts > 0 && renamedFrom === undefined) return undefined;

    const name = processName(event) ?? 'the process';
    const why: string[] = [];
    const depth = historyDepth(hostBaseline?.activeHours, FULL_HOST_HISTORY_HOURS);
    let strength = 0;
    if (hostBaseline) {
      strength = (fleetHosts > 0 ? W.quietFleetKnown : W.quietUnseen) * depth;
      const where = historyText(hostBaseline.activeHours, baseline.windowMs);
      why.push(reasons.quietProcessReason(name, hostLabel, where, fleetHosts));
    } else {
      why.push(reasons.noBaselineReason(name, hostLabel));
    }
    if (renamedFrom !== undefined) why.push(reasons.renamedReason(name, renamedFrom));
    const lolbinName = lolbinInfo(exe) !== undefined ? exe : renamedFrom;
    const lolbin = lolbinInfo(lolbinName);
    const cmdLine = event.process?.cmd_line;
    if (lolbin) {
      strength = orStrength(strength, lolbin.weight);
      why.push(reasons.lolbinReason(lolbinName === exe ? name : (lolbinName ?? name)));
      if (lolbin.noArgsSuspicious && hasNoArguments(cmdLine)) {
        strength = orStrength(strength, W.noArguments);
        why.push(reasons.noArgumentsReason(name));
      }
    }
    if (cmdLine !== undefined && cmdLine.trim() === '') {
      strength = orStrength(strength, W.emptyCommandLine);
      why.push(reasons.emptyCommandLineReason(name));
    }
    const writable = userWritableFragment(facts.path);
    if (writable !== undefined) {
      strength = orStrength(strength, W.userWritablePath);
      why.push(reasons.userWritableReason(event.process?.path ?? name, writable));
    }
    if (renamedFrom !== undefined) strength = orStrength(strength, W.renamed);
    if (sha1 !== undefined && renamedFrom === undefined && baseline.hasHashes && pathHosts > 0 && baseline.sha1Hosts(sha1) === 0) {
      strength = orStrength(strength, W.newHash * depth);
      why.push(reasons.newHashReason(name, pathHosts));
    }
    if (facts.signer !== undefined && facts.signer.trim().toLowerCase() === UNSIGNED_SIGNER) {
      strength = orStrength(strength, W.unsigned);
      why.push(reasons.unsignedReason(name));
    }
    return strength > 0 ? { strength, reasons: why } : undefined;
  },
});

/** The known name of a hash that now runs under `exe`, unless it is one of its known names or a generic host. */
function renamedFromOf(names: readonly string[] | undefined, exe: string | undefined): string | undefined {
  if (names === undefined || names.length === 0 || names.length > MAX_NAMES_PER_SHA1 || exe === undefined) return undefined;
  return names.includes(exe) ? undefined : names[0];
}
