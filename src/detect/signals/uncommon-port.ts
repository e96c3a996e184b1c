import { FULL_ESTATE_HISTORY_HOURS, historyDepth } from '../history-depth.js';
import { DYNAMIC_RPC_FROM, DYNAMIC_RPC_TO, parsePortSpec, ProtocolPortSet } from '../ports.js';
import * as reasons from '../reasons.js';
import { SIGNAL_WEIGHTS as W } from '../scoring.js';
import type { SignalFactory } from './signal.js';

/**
 * `uncommon_port`: a port/protocol seen on no baseline host, or on at most `tuning.uncommon_port_max_hosts` of them.
 * Never for a port this host itself used in its baseline (rare across the estate is not rare for the host that uses
 * it), for `ports.known_good`, or for Windows' dynamic RPC range inside the internal networks. Weighs by how many
 * host-hours of telemetry the estate counts rest on.
 */
export const uncommonPortSignal: SignalFactory = ({ baseline, settings }) => {
  const knownGood = new ProtocolPortSet();
  for (const known of settings.ports.known_good) {
    const range = parsePortSpec(known.port);
    if (range) knownGood.add(known.protocol, range[0], range[1]);
  }
  const depth = historyDepth(baseline.hostHours, FULL_ESTATE_HISTORY_HOURS);
  const maxShare = settings.tuning.uncommon_port_max_hosts;
  return {
    kind: 'uncommon_port',
    judge({ facts, hostBaseline, dstInternal }) {
      if (baseline.hostCount === 0) return undefined;
      const { protocol, port } = facts;
      if (knownGood.has(protocol, port) || baseline.isKnownGoodPort(protocol, port)) return undefined;
      if (hostBaseline?.usedPort(protocol, port) === true) return undefined;
      if (dstInternal && port !== undefined && port >= DYNAMIC_RPC_FROM && port <= DYNAMIC_RPC_TO) return undefined;
      const seenOn = baseline.portHosts(protocol, port);
      const weight = seenOn === 0 ? W.portUnseen : seenOn / baseline.hostCount <= maxShare ? W.portRare : 0;
      if (weight === 0) return undefined;
      return {
        strength: weight * depth,
        reasons: [reasons.uncommonPortReason(protocol, port, seenOn, baseline.hostCount, baseline.hostHours)],
      };
    },
  };
};
