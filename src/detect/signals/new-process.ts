import { lineageOf, type Lineage } from '../lineage.js';
import { processName } from '../facts.js';
import * as reasons from '../reasons.js';
import { orStrength, SIGNAL_WEIGHTS as W } from '../scoring.js';
import type { SignalFactory } from './signal.js';

const LINEAGE_WEIGHT: Readonly<Record<Lineage, number>> = {
  remote_execution: W.remoteExecutionParent,
  service: W.remoteExecutionParent,
  office: W.officeParent,
  script_host: W.scriptHostParent,
  browser: W.browserParent,
};

/**
 * `new_process`: a process that first ran after the block and talks to the network: an implant that came back as
 * a new binary, or was started on another host by lateral movement. It needs the process start time from the
 * telemetry, and weighs more with a parent that runs remote or scripted code. A binary started the ordinary way and
 * already on the network somewhere in the baseline is a restart, not a new process; one unknown to the baseline is
 * also `quiet_process`, which weighs that absence. Where the connection goes does not matter: a known destination does not vouch for a
 * new process (the implant may reuse an address other hosts contacted).
 */
export const newProcessSignal: SignalFactory = ({ baseline, blockedAt }) => ({
  kind: 'new_process',
  judge({ event, facts, hostBaseline }) {
    const startedAt = event.process?.started_at;
    if (blockedAt === undefined || startedAt === undefined || startedAt < blockedAt || facts.processKey === '') return undefined;
    const lineage = lineageOf(facts.path, facts.exe, event.process?.parent_path ?? event.process?.parent_name);
    const knownOnHost = hostBaseline?.processes.has(facts.processKey) === true || (facts.sha1 !== undefined && hostBaseline?.sha1s.has(facts.sha1) === true);
    const knownAnywhere = knownOnHost || baseline.processHosts(facts.processKey) > 0 || (facts.sha1 !== undefined && baseline.sha1Hosts(facts.sha1) > 0);
    if (lineage === undefined && knownAnywhere) return undefined;

    const name = processName(event) ?? 'the process';
    const why = [reasons.startedAfterBlockReason(name, startedAt, blockedAt)];
    let strength: number = W.startedAfterBlock;
    if (lineage !== undefined) {
      strength = orStrength(strength, LINEAGE_WEIGHT[lineage]);
      why.push(reasons.lineageReason(name, event.process?.parent_path ?? event.process?.parent_name ?? '', lineage));
    }
    return { strength, reasons: why };
  },
});
