import type { ConnectionEvent } from '../contracts/connection-event.js';
import { MAX_NAMES_PER_SHA1, type CompiledBaseline, type CompiledHostBaseline } from './baseline.js';
import type { EventFacts } from './facts.js';
import { lolbinInfo, userWritableFragment, type LolbinInfo } from './lolbins.js';
import { hasNoArguments } from './process-identity.js';
import { orStrength, SIGNAL_WEIGHTS as W } from './scoring.js';

/** How strongly an event's process looks like one that should not be on the network, and why. */
export interface QuietProcessSignal {
  /** 0 when the process is known on this host (or, without host history, on the fleet). */
  strength: number;
  /** Whether this host's baseline has the image path: `none` when the host has no baseline at all. */
  hostHistory: 'none' | 'unseen' | 'known';
  /** The LOLBin entry of the image, or of the binary it is a renamed copy of. */
  lolbin: LolbinInfo | undefined;
  /** The file name the LOLBin entry is for. */
  lolbinName: string | undefined;
  noArgs: boolean;
  emptyCommandLine: boolean;
  writable: string | undefined;
  /** Other baseline hosts where the image (by path, or by hash unless renamed) made connections. */
  fleetHosts: number;
  /** The name the baseline knows this hash under, when the image is a renamed copy. */
  renamedFrom: string | undefined;
  /** Baseline hosts that ran this image path with other hashes, when this hash is new; else 0. */
  newHashOf: number;
  unsigned: boolean;
}

export const emptyQuietProcessSignal = (): QuietProcessSignal => ({
  strength: 0,
  hostHistory: 'none',
  lolbin: undefined,
  lolbinName: undefined,
  noArgs: false,
  emptyCommandLine: false,
  writable: undefined,
  fleetHosts: 0,
  renamedFrom: undefined,
  newHashOf: 0,
  unsigned: false,
});

/**
 * Signer text meaning "not signed". The connection event has no signed/unsigned field, so a connector that knows
 * an image is unsigned (ECS `code_signature.exists: false`) writes this as the signer; an absent signer is unknown.
 */
export const UNSIGNED_SIGNER = 'unsigned';

export type QuietProcessJudge = (
  event: ConnectionEvent,
  facts: EventFacts,
  hostBaseline: CompiledHostBaseline | undefined,
  out: QuietProcessSignal,
) => void;

/**
 * Judges `quiet_process`: a process (by path and hash) with no network history on this host, weighed by the LOLBin
 * prior, a bare or empty command line, a user-writable folder, a renamed copy of a known hash, a hash new to the
 * fleet, and a missing signature. Writes into `out` so the hot path allocates nothing.
 */
export function createQuietProcessJudge(baseline: CompiledBaseline): QuietProcessJudge {
  return (event, facts, hostBaseline, out) => {
    out.strength = 0;
    out.hostHistory = 'none';
    out.lolbin = undefined;
    out.lolbinName = undefined;
    out.noArgs = false;
    out.emptyCommandLine = false;
    out.writable = undefined;
    out.fleetHosts = 0;
    out.renamedFrom = undefined;
    out.newHashOf = 0;
    out.unsigned = false;
    const { processKey, sha1, exe } = facts;
    if (processKey === '') return;
    const renamedFrom = sha1 === undefined ? undefined : renamedFromOf(baseline.sha1Names(sha1), exe);
    const pathOnHost = hostBaseline?.processes.has(processKey) === true;
    // A renamed copy is not vouched for by the history of the binary it copies.
    if (renamedFrom === undefined && (pathOnHost || (sha1 !== undefined && hostBaseline?.sha1s.has(sha1) === true))) return;
    const pathHosts = baseline.processHosts(processKey);
    const fleetHosts = renamedFrom === undefined && sha1 !== undefined ? Math.max(pathHosts, baseline.sha1Hosts(sha1)) : pathHosts;
    // Without this host's own history, what other hosts did is the best evidence that the process is ordinary.
    if (!hostBaseline && fleetHosts > 0 && renamedFrom === undefined) return;

    let strength = hostBaseline && !pathOnHost ? (fleetHosts > 0 ? W.quietFleetKnown : W.quietUnseen) : 0;
    const lolbinName = lolbinInfo(exe) !== undefined ? exe : renamedFrom;
    const lolbin = lolbinInfo(lolbinName);
    const cmdLine = event.process?.cmd_line;
    if (lolbin) {
      strength = orStrength(strength, lolbin.weight);
      if (lolbin.noArgsSuspicious && hasNoArguments(cmdLine)) {
        out.noArgs = true;
        strength = orStrength(strength, W.noArguments);
      }
    }
    if (cmdLine !== undefined && cmdLine.trim() === '') {
      out.emptyCommandLine = true;
      strength = orStrength(strength, W.emptyCommandLine);
    }
    const writable = userWritableFragment(facts.path);
    if (writable !== undefined) strength = orStrength(strength, W.userWritablePath);
    if (renamedFrom !== undefined) strength = orStrength(strength, W.renamed);
    if (sha1 !== undefined && renamedFrom === undefined && baseline.hasHashes && pathHosts > 0 && baseline.sha1Hosts(sha1) === 0) {
      out.newHashOf = pathHosts;
      strength = orStrength(strength, W.newHash);
    }
    if (facts.signer !== undefined && facts.signer.trim().toLowerCase() === UNSIGNED_SIGNER) {
      out.unsigned = true;
      strength = orStrength(strength, W.unsigned);
    }
    out.strength = strength;
    out.hostHistory = !hostBaseline ? 'none' : pathOnHost ? 'known' : 'unseen';
    out.lolbin = lolbin;
    out.lolbinName = lolbin ? lolbinName : undefined;
    out.writable = writable;
    out.fleetHosts = fleetHosts;
    out.renamedFrom = renamedFrom;
  };
}

/** The known name of a hash that now runs under `exe`, unless it is one of its known names or a generic host. */
function renamedFromOf(names: readonly string[] | undefined, exe: string | undefined): string | undefined {
  if (names === undefined || names.length === 0 || names.length > MAX_NAMES_PER_SHA1 || exe === undefined) return undefined;
  return names.includes(exe) ? undefined : names[0];
}
