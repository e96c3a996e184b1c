import { concealmentOf } from '../command-line.js';
import { processName } from '../facts.js';
import * as reasons from '../reasons.js';
import { SIGNAL_WEIGHTS as W } from '../scoring.js';
import type { SignalFactory } from './signal.js';

/**
 * `concealed_command`: the connecting process was started with a command line that hides what it runs (an encoded
 * command, a hidden window, a download cradle, code evaluated in memory). A property of the process, not of its
 * history: a known PowerShell with an encoded payload is as suspicious as a new one.
 */
export const concealedCommandSignal: SignalFactory = () => ({
  kind: 'concealed_command',
  judge({ event }) {
    const traits = concealmentOf(event.process?.cmd_line);
    if (traits.length === 0) return undefined;
    return { strength: W.concealedCommandLine, reasons: [reasons.concealedCommandReason(processName(event) ?? 'the process', traits)] };
  },
});
