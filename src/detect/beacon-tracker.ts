import type { ConnectionEvent } from '../contracts/connection-event.js';
import type { BeaconHistory, BeaconSample } from './beacon-history.js';
import type { Assessment, Detector, Observation } from './types.js';

/** An event and what `Detector.observe` said of it. */
export interface ObservedEvent {
  event: ConnectionEvent;
  observation: Observation;
}

/** The sample a beacon history keeps of an event: bytes sent, else bytes received, when the source reports bytes. */
export const beaconSampleOf = (event: ConnectionEvent): BeaconSample => ({
  id: event.id,
  time: event.time,
  bytes: event.bytes_out ?? event.bytes_in,
});

/**
 * The beacon step of one poll (live) or of one poll's worth of events (backtest): records the samples of the
 * events that have a beacon tuple in `history`, then judges each of them again with its tuple's history. Returns
 * the final assessment of every event, in order: `judgeBeacon`'s finding (with `beaconing`) where the tuple
 * beacons, else the observation's own. Merged into the store like any assessment, such a finding adds
 * `beaconing` to the tuple's finding, or creates it when the events alone stayed below `min_score`. Recording is
 * idempotent per event id, so a replayed poll judges exactly as the first one did.
 */
export async function judgeBeacons(
  detector: Pick<Detector, 'judgeBeacon'>,
  history: BeaconHistory,
  observed: readonly ObservedEvent[],
): Promise<Assessment[]> {
  const samples = new Map<string, BeaconSample[]>();
  for (const { event, observation } of observed) {
    const tuple = observation.beaconTuple;
    if (tuple === undefined) continue;
    const list = samples.get(tuple);
    if (list) list.push(beaconSampleOf(event));
    else samples.set(tuple, [beaconSampleOf(event)]);
  }
  if (samples.size === 0) return observed.map(({ observation }) => observation.assessment);
  const tracks = await history.record(samples);
  return observed.map(({ event, observation }) => {
    const track = observation.beaconTuple === undefined ? undefined : tracks.get(observation.beaconTuple);
    return (track && detector.judgeBeacon(event, track)) ?? observation.assessment;
  });
}
