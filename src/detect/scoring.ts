import type { Severity } from '../contracts/common.js';
import type { DetectionTuning } from './settings.js';

/**
 * Signal strengths, each a probability-like value in [0, 1]. Signals combine by noisy-OR
 * (1 - Π(1 - s)): each one alone keeps its own weight, agreeing signals reinforce each other, and the
 * total never passes 100. The weights are chosen so that:
 * - a new destination alone, even a bare IP, stays below the default min_score of 40 (the web is big);
 * - a new destination on a port no baseline host used is a medium finding (58);
 * - a LOLBin with no network history, or anything run from a user-writable folder, is a finding on its own;
 * - rundll32 without arguments, never on the network before, to a new bare IP on an unseen port is high (93);
 * - a protocol shift alone (DNS past the corporate resolvers, large ICMP, SMB to the internet) is at most a low
 *   finding; next to a new bare IP it is medium;
 * - beaconing alone never reports (RITA's own false positives are heartbeats of known software), and with only a
 *   new destination it stays low (push services, NTP and CDN polling are as regular as a beacon) unless it has held
 *   for hours towards a bare IP; it raises every finding it joins;
 * - a process that first ran after the block is a finding only with more: started by a script host, a remote
 *   execution service, an Office application or a browser it is medium on its own.
 * Every "never seen" weight is scaled by how much history the baseline really holds (src/detect/history-depth.ts).
 */
export const SIGNAL_WEIGHTS = {
  /** The image never made a connection on this host, nor on any other baseline host. */
  quietUnseen: 0.3,
  /** The image never made a connection on this host, but did on other baseline hosts. */
  quietFleetKnown: 0.15,
  /** No-argument start of a binary that injection tooling spawns by default (rundll32, dllhost, ...). */
  noArguments: 0.5,
  /** Image in a user-writable or unusual folder (\Users\Public\, \Temp\, ...). */
  userWritablePath: 0.45,
  /** Port/protocol seen on no baseline host. */
  portUnseen: 0.35,
  /** Port/protocol seen on at most `uncommon_port_max_hosts` of the baseline hosts. */
  portRare: 0.2,
  /** Destination never contacted, given only as an IP (no DNS name). */
  destinationBareIp: 0.35,
  /** Destination never contacted, with a DNS name. */
  destinationNamed: 0.2,
  /**
   * Destination address never contacted, seen by a network sensor or firewall (which names no destination): CDN
   * and push addresses rotate, so with a rhythm of hours it still stays below a finding.
   */
  destinationUnnamedFlow: 0.1,
  /** Destination never contacted, inside `networks.internal`. */
  destinationInternal: 0.1,
  /** Started with an empty command line (hollowed or injected processes), when the telemetry carries command lines. */
  emptyCommandLine: 0.3,
  /** The telemetry says the image is not code-signed. */
  unsigned: 0.2,
  /** This hash never made a connection in the baseline, though other hosts ran the same image path. */
  newHash: 0.2,
  /** A hash the baseline knows under another file name: a renamed copy (CAR-2013-05-009). */
  renamed: 0.4,
  /** DNS to an address that is not a configured resolver, outside `networks.internal` (or none configured). */
  dnsOutside: 0.4,
  /** DNS to an internal address that is not a configured resolver (a branch DC, a forgotten forwarder). */
  dnsInternal: 0.15,
  /** ICMP to an external destination. */
  icmpExternal: 0.2,
  /** ICMP to an external destination carrying at least `LARGE_ICMP_BYTES` (Elastic's tunnelling threshold). */
  icmpLarge: 0.45,
  /** An application protocol (DNS, HTTP, TLS) the telemetry names on a port not standard for it. */
  appPortMismatch: 0.3,
  /** SMB (139/445) to an external destination. */
  smbExternal: 0.45,
  /** RPC, SMB or WinRM from a binary outside the Windows and Program Files folders (lateral movement tooling). */
  remoteAdminFromUninstalled: 0.3,
  /** The command line hides what it runs: an encoded command, a hidden window, a download cradle (`concealed_command`). */
  concealedCommandLine: 0.4,
  /** The tuple's connections are regular (`tuning.beacon_min_score`). */
  beaconing: 0.1,
  /** Regular over many intervals with little jitter (src/detect/signals/beaconing.ts `STEADY_BEACON`). */
  beaconingSteady: 0.2,
  /** Regular for hours (`PERSISTENT_BEACON`): with a new bare IP, a medium finding. */
  beaconingPersistent: 0.3,
  /** The connecting process started after the block. */
  startedAfterBlock: 0.25,
  /** ... started by a remote-execution service (WMI, WinRM, PsExec-style service, DCOM). */
  remoteExecutionParent: 0.45,
  /** ... started by an Office application. */
  officeParent: 0.45,
  /** ... started by a shell or script host (cmd, PowerShell, wscript, mshta, rundll32, ...). */
  scriptHostParent: 0.35,
  /** ... started by a browser, and not a browser process itself. */
  browserParent: 0.3,
} as const;

/**
 * Scores of `blocked_retry`, which is reported whatever the other signals say: the host still talks to the
 * indicator the SOAR blocked, so the implant is alive. A connection that got through means the block failed.
 */
export const BLOCKED_RETRY_SCORE = { held: 90, unknown: 95, failed: 100 } as const;

/** Noisy-OR of two strengths. */
export const orStrength = (a: number, b: number): number => 1 - (1 - a) * (1 - b);

/** A combined strength as a 0-100 score. */
export const toScore = (strength: number): number => Math.round(Math.min(1, Math.max(0, strength)) * 100);

/** The severity of a score, or undefined below `min_score` (not a finding). */
export function severityOf(score: number, tuning: DetectionTuning): Severity | undefined {
  if (score >= tuning.high_score) return 'high';
  if (score >= tuning.medium_score) return 'medium';
  if (score >= tuning.min_score) return 'low';
  return undefined;
}
