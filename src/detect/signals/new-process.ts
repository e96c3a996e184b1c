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
 * telemetry and a parent that runs remote or scripted code: a remote-execution service, a service binary outside the
 * installed folders, a shell or script host, an Office application, a browser. A process started the ordinary way
 * (by the user's shell at logon, by Windows' service host) is not one, however new: an image the baseline never
 * saw on the network is `quiet_process`, which weighs that absence by the history there is. Where the connection
 * goes does not matter: a known destination does not vouch for a new process (the implant may reuse an address other
 * hosts contacted).
 */
export const newProcessSignal: SignalFactory = ({ blockedAt }) => ({
  kind: 'new_process',
  judge({ event, facts }) {
    const startedAt = event.process?.started_at;
    if (blockedAt === undefined || startedAt === undefined || startedAt < blockedAt || facts.processKey === '') return undefined;
    const lineage = lineageOf(facts.path, facts.exe, event.process?.parent_path ?? event.process?.parent_name);
    // Users log on and start their applications after a block as on any day: a start time alone is no evidence.
    if (lineage === undefined) return undefined;
    const name = processName(event) ?? 'the process';
    return {
      strength: orStrength(W.startedAfterBlock, LINEAGE_WEIGHT[lineage]),
      reasons: [
        reasons.startedAfterBlockReason(name, startedAt, blockedAt),
        reasons.lineageReason(name, event.process?.parent_path ?? event.process?.parent_name ?? '', lineage),
      ],
    };
  },
});
