import { FULL_ESTATE_HISTORY_HOURS, historyDepth } from '../history-depth.js';
import { normalizeIp } from '../../lib/net.js';
import * as reasons from '../reasons.js';
import { SIGNAL_WEIGHTS as W } from '../scoring.js';
import type { SignalFactory } from './signal.js';

/**
 * `new_destination`: an address or name no baseline host contacted. A bare IP (no DNS name) weighs more, but only
 * in endpoint telemetry: a network sensor or firewall never names destinations, so there the missing name says
 * nothing, and an address it has not seen is weak evidence (CDN and push addresses rotate all day). Weighs by the
 * estate's hours of telemetry, like every "never seen" judgement.
 */
export const newDestinationSignal: SignalFactory = ({ baseline, settings }) => {
  const infrastructure = new Set([...settings.networks.resolvers, ...settings.networks.proxies].map(normalizeIp));
  const depth = historyDepth(baseline.hostHours, FULL_ESTATE_HISTORY_HOURS);
  return {
    kind: 'new_destination',
    judge({ event, facts, dstInternal }) {
      const { dstIp, dstHostname } = facts;
      if (baseline.hostCount === 0 || (dstIp === undefined && dstHostname === undefined)) return undefined;
      if (dstIp !== undefined && (infrastructure.has(dstIp) || baseline.destinationHosts(dstIp) > 0)) return undefined;
      if (dstHostname !== undefined && baseline.destinationHosts(dstHostname) > 0) return undefined;
      const namesDestinations = event.process !== undefined;
      const bareIp = dstHostname === undefined && namesDestinations;
      const weight = dstInternal
        ? W.destinationInternal
        : bareIp
          ? W.destinationBareIp
          : dstHostname === undefined
            ? W.destinationUnnamedFlow
            : W.destinationNamed;
      const ip = dstIp === undefined ? undefined : event.dst_endpoint.ip;
      const hostname = dstHostname === undefined ? undefined : event.dst_endpoint.hostname;
      return {
        strength: weight * depth,
        reasons: [reasons.newDestinationReason(ip, hostname, dstInternal, bareIp, baseline.hostHours)],
      };
    },
  };
};
