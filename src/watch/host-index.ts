import type { ConnectionEvent } from '../contracts/connection-event.js';
import type { DeviceRef, HostIdentifiers } from '../contracts/host-identity.js';
import { firstLabel, normalizeIp } from '../lib/net.js';

/**
 * One owner of hosts (a watch's poll plan): its hosts, and its own rule for which of them an event belongs to, decided
 * from the event's device alone.
 */
export interface HostOwner<Owner, Host extends HostIdentifiers> {
  owner: Owner;
  hosts: readonly Host[];
  match(event: ConnectionEvent): Host | undefined;
}

export interface RoutedEvent<Host> {
  event: ConnectionEvent;
  host: Host;
}

/**
 * Which owners may hold the device an event names, looked up by the identifiers a host matcher matches on: EDR id
 * (lower-cased), normalized IP, and the host name's first DNS label (lower-cased). A name matches exactly or by first
 * label, and an exact match has the same first label, so the label alone finds both. The answer is a superset: the
 * owner's own matcher decides (short-name ambiguity and id > name > IP precedence are per owner).
 */
export class HostIndex<Owner> {
  private readonly byUid = new Map<string, Owner[]>();
  private readonly byLabel = new Map<string, Owner[]>();
  private readonly byIp = new Map<string, Owner[]>();

  constructor(owners: Iterable<{ owner: Owner; hosts: readonly HostIdentifiers[] }>) {
    for (const { owner, hosts } of owners) {
      for (const host of hosts) {
        if (host.edr_id !== undefined) add(this.byUid, host.edr_id.toLowerCase(), owner);
        if (host.ip !== undefined) add(this.byIp, normalizeIp(host.ip), owner);
        if (host.hostname !== undefined) add(this.byLabel, firstLabel(host.hostname.toLowerCase()), owner);
      }
    }
  }

  candidates(device: DeviceRef): readonly Owner[] {
    const byUid = device.uid === undefined ? undefined : this.byUid.get(device.uid.toLowerCase());
    const byLabel = device.hostname === undefined || device.hostname === '' ? undefined : this.byLabel.get(firstLabel(device.hostname.toLowerCase()));
    const byIp = device.ip === undefined || this.byIp.size === 0 ? undefined : this.byIp.get(normalizeIp(device.ip));
    const found = [byUid, byLabel, byIp].filter((owners): owners is Owner[] => owners !== undefined);
    if (found.length === 0) return [];
    if (found.length === 1) return found[0] as Owner[];
    return [...new Set(found.flat())];
  }
}

/**
 * Each owner's events with the host its own matcher gives them, in event order: the same as matching every event
 * against every owner, at the cost of one lookup per event and, per distinct device, the few owners that share an
 * identifier with it (a poll reads many events of few devices).
 */
export function routeEvents<Owner, Host extends HostIdentifiers>(
  owners: readonly HostOwner<Owner, Host>[],
  events: readonly ConnectionEvent[],
): Map<Owner, RoutedEvent<Host>[]> {
  const routed = new Map<Owner, RoutedEvent<Host>[]>(owners.map(({ owner }) => [owner, []]));
  const index = new HostIndex(owners);
  const byOwner = new Map(owners.map((entry) => [entry.owner, entry]));
  const byDevice = new Map<string, { events: RoutedEvent<Host>[]; host: Host }[]>();
  for (const event of events) {
    // JSON keeps the three apart whatever a (hostile) device name holds.
    const device = JSON.stringify([event.device.uid, event.device.hostname, event.device.ip]);
    let matches = byDevice.get(device);
    if (matches === undefined) {
      matches = [];
      for (const owner of index.candidates(event.device)) {
        const host = byOwner.get(owner)?.match(event);
        if (host) matches.push({ events: routed.get(owner) as RoutedEvent<Host>[], host });
      }
      byDevice.set(device, matches);
    }
    for (const { events: owned, host } of matches) owned.push({ event, host });
  }
  return routed;
}

/** Hosts of one owner arrive together, so a repeat of the last owner is the only duplicate to skip. */
function add<Owner>(map: Map<string, Owner[]>, key: string, owner: Owner): void {
  const owners = map.get(key);
  if (!owners) map.set(key, [owner]);
  else if (owners[owners.length - 1] !== owner) owners.push(owner);
}
