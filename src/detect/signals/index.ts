import { beaconingSignal } from './beaconing.js';
import { concealedCommandSignal } from './concealed-command.js';
import { newDestinationSignal } from './new-destination.js';
import { newProcessSignal } from './new-process.js';
import { protocolShiftSignal } from './protocol-shift.js';
import { quietProcessSignal } from './quiet-process.js';
import type { SignalFactory } from './signal.js';
import { uncommonPortSignal } from './uncommon-port.js';

/** Every scored signal, in the order their kinds and reasons are listed on a finding. */
export const SIGNALS: readonly SignalFactory[] = [
  quietProcessSignal,
  newProcessSignal,
  concealedCommandSignal,
  uncommonPortSignal,
  newDestinationSignal,
  protocolShiftSignal,
  beaconingSignal,
];
