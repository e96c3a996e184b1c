import { isIP } from 'node:net';
import * as z from 'zod';
import type { BaselineEntry } from '../contracts/connection-event.js';
import type { Indicator } from '../contracts/containment-request.js';
import type { PrevalenceSnapshot } from '../contracts/prevalence.js';
import type { WatchedHost } from '../contracts/watch.js';
import { createHostMatcher, hostIdentity, hostLabel } from '../contracts/host-identity.js';
import { estateDestination, isNeverNormalDestination, type CompiledEstate } from './estate.js';
import { compileIndicators, sharedIndicators } from './indicators.js';
import { compileCidrList, isLoopbackOrLinkLocal, isMulticastOrBroadcast, normalizeHostname, normalizeIp } from '../lib/net.js';
import { compileHostBaseline, PortProtocolCodec, type CompiledHostBaseline } from './host-baseline.js';
import { parsePortSpec, ProtocolPortSet } from './ports.js';
import { SortedCounts } from './sorted-keys.js';
import { basename, processKey } from '../lib/process-identity.js';
import type { DetectionSettings } from './settings.js';

/**
 * What "normal" looked like before the block: per watched host, which processes talked to the network, to what
 * and on which port; per environment, on how many hosts each port/protocol, destination and process was seen.
 * Built once per watch, stored in Redis as JSON (arrays only, so no telemetry string can become an object key),
 * and compiled into maps and sets for the detector.
 */

const Counted = z.tuple([z.string(), z.number().int().nonnegative()]);

const HostBaselineSchema = z.object({
  /** `hostIdentity` of the watched host. */
  host: z.string(),
  label: z.string(),
  /** Baseline rows of this host that were kept. */
  rows: z.number().int().nonnegative(),
  /** Lower-cased image paths (names when no path) that made connections. */
  processes: z.array(z.string()),
  /** Lower-cased SHA-1s of those images: a renamed copy of a known binary is still known. */
  sha1s: z.array(z.string()),
  /** [process, dst ip, dst hostname, port, protocol]. */
  tuples: z.array(
    z.tuple([z.string(), z.string().nullable(), z.string().nullable(), z.number().int().nullable(), z.string()]),
  ),
  /** Normalized destination IPs and host names. */
  destinations: z.array(z.string()),
  /**
   * UTC hours with telemetry from this host (estimated from its rows, see `markActiveHours`): how much history the
   * baseline really holds, whatever the window's nominal length. Absent in snapshots taken before it existed (read
   * as enough).
   */
  active_hours: z.number().int().nonnegative().optional(),
});
export type HostBaseline = z.infer<typeof HostBaselineSchema>;

export const BaselineSnapshotSchema = z.object({
  version: z.literal(1),
  /** Epoch ms bounds of the baseline window; null when unknown (no rows and no window given). */
  window: z.object({ from: z.number().int().nullable(), to: z.number().int().nullable() }),
  /** Connections summarized by the kept rows (sum of their counts). */
  event_count: z.number().int().nonnegative(),
  /**
   * Rows left out: to a blocked indicator (the C2 itself is not "normal"), loopback/link-local/multicast, or from an
   * address outside the estate (see `environment.host_count`).
   */
  excluded_rows: z.number().int().nonnegative(),
  hosts: z.array(HostBaselineSchema),
  environment: z.object({
    /**
     * Hosts with at least one kept row that belong to the estate: watched hosts, devices named by an EDR, and
     * addresses inside `networks.internal`. A sensor log's external originators (scanners) are not hosts here.
     */
    host_count: z.number().int().nonnegative(),
    /** Sum over those hosts of their active hours (see `active_hours`); absent in older snapshots. */
    host_hours: z.number().int().nonnegative().optional(),
    /** [protocol, port or null, hosts]. */
    ports: z.array(z.tuple([z.string(), z.number().int().nullable(), z.number().int().nonnegative()])),
    destinations: z.array(Counted),
    processes: z.array(Counted),
    sha1s: z.array(Counted),
    /**
     * [sha1, image file names it ran as]: a known hash under a new name is a renamed binary. Snapshots taken before
     * this field existed read as empty.
     */
    sha1_names: z.array(z.tuple([z.string(), z.array(z.string())])).default([]),
    /**
     * The estate-wide prevalence reads used. A read with a `read` id is referenced: it stays in the prevalence store
     * and is merged in when the baseline is compiled. One without was embedded (as every read was before ids): the
     * counts above are already the larger of its and the watch's own rows. Snapshots taken before this field existed
     * read as empty.
     */
    estate: z
      .array(
        z.object({
          source: z.string(),
          from: z.string(),
          to: z.string(),
          host_count: z.number().int().nonnegative(),
          partial: z.boolean(),
          read: z.string().optional(),
        }),
      )
      .default([]),
    /** [protocol, from, to]: `ports.known_good` at build time, never uncommon. */
    known_good: z.array(z.tuple([z.string(), z.number().int(), z.number().int()])),
  }),
});
export type BaselineSnapshot = z.infer<typeof BaselineSnapshotSchema>;

export interface BuildBaselineOptions {
  /**
   * The watch's blocked indicators: rows to them are left out, so the implant's own pre-block traffic does not
   * make its process look "known". Default: none (every row counts).
   */
  blocked?: readonly Indicator[];
  /** The baseline window in epoch ms. Default: from the rows' first_seen/last_seen. */
  window?: { from: number; to: number };
  /**
   * Estate-wide prevalence reads (one per source): host, port and destination counts across every host the sources
   * see, not only the watch's. Sources overlap, so each count is the largest any of them reports. Default: none.
   */
  estate?: readonly PrevalenceSnapshot[];
  /**
   * Estate-wide reads stored in the prevalence store under `id`: the snapshot references them, and `compileBaseline`
   * merges the shared compiled read (megabytes per read, not per watch). Default: none.
   */
  estateReads?: readonly { id: string; read: PrevalenceSnapshot }[];
}

/**
 * A hash seen under more file names than this is a generic host or loader, not a copy someone renamed; the snapshot
 * keeps one name more, so the detector can tell.
 */
export const MAX_NAMES_PER_SHA1 = 8;

class Counter {
  readonly hosts = new Map<string, Set<string>>();
  /** Counts reported by estate-wide reads, kept when larger than the hosts seen here. */
  private readonly reported = new Map<string, number>();
  add(key: string, host: string): void {
    const set = this.hosts.get(key);
    if (set) set.add(host);
    else this.hosts.set(key, new Set([host]));
  }
  report(key: string, hosts: number): void {
    this.reported.set(key, Math.max(this.reported.get(key) ?? 0, hosts));
  }
  entries(): [string, number][] {
    const counts = new Map<string, number>(this.reported);
    for (const [key, set] of this.hosts) counts.set(key, Math.max(counts.get(key) ?? 0, set.size));
    return [...counts];
  }
}

interface HostAccumulator {
  host: string;
  label: string;
  rows: number;
  processes: Set<string>;
  sha1s: Set<string>;
  tuples: Map<string, [string, string | null, string | null, number | null, string]>;
  destinations: Set<string>;
  /** Each process's earliest sighting, and the processes each hash ran as. */
  firstSeen: Map<string, number>;
  sha1Processes: Map<string, Set<string>>;
}

/**
 * A process the host first had on the network this close before the block is not established behaviour: it is what
 * the implant did in its last hour before the block (its lateral moves, a second stage), not an alibi for what it
 * does after. (History from other recordings, whatever their date, is not "before the block" and counts.)
 */
export const ESTABLISHED_BEFORE_BLOCK_MS = 3_600_000;

const HOUR = 3_600_000;

/** Summarizes baseline rows of the watched hosts (and any other hosts in `entries`, for prevalence only). */
export function buildBaseline(
  entries: readonly BaselineEntry[],
  hosts: readonly WatchedHost[],
  settings: Pick<DetectionSettings, 'ports'> & Partial<Pick<DetectionSettings, 'networks'>>,
  options: BuildBaselineOptions = {},
): BaselineSnapshot {
  const matchHost = createHostMatcher(hosts);
  const internal = compileCidrList(settings.networks?.internal ?? []);
  const hoursByHost = new Map<string, Set<number>>();
  const blocked = compileIndicators(options.blocked ?? []);
  const perHost = new Map<string, HostAccumulator>();
  const environmentHosts = new Set<string>();
  const ports = new Counter();
  const destinations = new Counter();
  const processes = new Counter();
  const sha1s = new Counter();
  const sha1Names = new Map<string, Set<string>>();
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  let eventCount = 0;
  let excluded = 0;

  for (const entry of entries) {
    if (entry.count <= 0) continue;
    const dstIp = entry.dst_ip === undefined || entry.dst_ip === '' ? undefined : normalizeIp(entry.dst_ip);
    const dstHostname = normalizeHostname(entry.dst_hostname);
    if (
      (dstIp !== undefined && (isLoopbackOrLinkLocal(dstIp) || isMulticastOrBroadcast(dstIp))) ||
      blocked.match(dstIp, dstHostname) !== undefined
    ) {
      excluded++;
      continue;
    }
    const watched = matchHost.byRef({ uid: entry.host, hostname: entry.host, ip: entry.host });
    if (!watched && !isEstateHost(entry.host, internal)) {
      excluded++;
      continue;
    }
    const hostId = watched ? hostIdentity(watched) : `unwatched:${entry.host.toLowerCase()}`;
    const protocol = entry.protocol.toLowerCase();
    const proc = processKey(entry.process_path, entry.process_name);
    const sha1 = entry.sha1?.toLowerCase();

    environmentHosts.add(hostId);
    let hours = hoursByHost.get(hostId);
    if (!hours) hoursByHost.set(hostId, (hours = new Set()));
    markActiveHours(hours, entry);
    ports.add(portKey(protocol, entry.dst_port), hostId);
    if (dstIp !== undefined) destinations.add(dstIp, hostId);
    if (dstHostname !== undefined) destinations.add(dstHostname, hostId);
    if (proc !== '') processes.add(proc, hostId);
    if (sha1) {
      sha1s.add(sha1, hostId);
      const name = imageName(entry.process_path, entry.process_name);
      if (name !== undefined) addName(sha1Names, sha1, name);
    }
    eventCount += entry.count;
    from = Math.min(from, entry.first_seen);
    to = Math.max(to, entry.last_seen);

    if (!watched) continue;
    let acc = perHost.get(hostId);
    if (!acc) {
      acc = {
        host: hostId,
        label: hostLabel(watched),
        rows: 0,
        processes: new Set(),
        sha1s: new Set(),
        tuples: new Map(),
        destinations: new Set(),
        firstSeen: new Map(),
        sha1Processes: new Map(),
      };
      perHost.set(hostId, acc);
    }
    acc.rows++;
    if (proc !== '') {
      acc.processes.add(proc);
      acc.firstSeen.set(proc, Math.min(acc.firstSeen.get(proc) ?? Number.POSITIVE_INFINITY, entry.first_seen));
    }
    if (sha1) {
      acc.sha1s.add(sha1);
      const ran = acc.sha1Processes.get(sha1);
      if (ran) ran.add(proc);
      else acc.sha1Processes.set(sha1, new Set([proc]));
    }
    if (dstIp !== undefined) acc.destinations.add(dstIp);
    if (dstHostname !== undefined) acc.destinations.add(dstHostname);
    const tuple: [string, string | null, string | null, number | null, string] = [
      proc,
      dstIp ?? null,
      dstHostname ?? null,
      entry.dst_port ?? null,
      protocol,
    ];
    acc.tuples.set(JSON.stringify(tuple), tuple);
  }

  let estateHosts = 0;
  for (const read of options.estate ?? []) {
    estateHosts = Math.max(estateHosts, read.host_count);
    for (const row of read.ports) ports.report(portKey(row.protocol.toLowerCase(), row.port ?? undefined), row.hosts);
    for (const row of read.destinations) {
      const destination = estateDestination(row.destination);
      if (destination === undefined) continue;
      const [ip, hostname] = destination;
      if (blocked.match(ip, hostname) !== undefined || isNeverNormalDestination(ip)) continue;
      destinations.report(ip ?? hostname ?? '', row.hosts);
    }
  }

  const window = options.window ?? (from <= to ? { from, to } : undefined);
  return {
    version: 1,
    window: { from: window?.from ?? null, to: window?.to ?? null },
    event_count: eventCount,
    excluded_rows: excluded,
    hosts: [...perHost.values()].map((acc) => {
      const blockedAt = options.window?.to ?? (to >= from ? to : undefined);
      const recent = new Set(
        [...acc.firstSeen]
          .filter(([, first]) => blockedAt !== undefined && first > blockedAt - ESTABLISHED_BEFORE_BLOCK_MS && first <= blockedAt)
          .map(([proc]) => proc),
      );
      return {
        host: acc.host,
        label: acc.label,
        rows: acc.rows,
        processes: [...acc.processes].filter((proc) => !recent.has(proc)),
        sha1s: [...acc.sha1s].filter((sha1) => [...(acc.sha1Processes.get(sha1) ?? [])].some((proc) => !recent.has(proc))),
        tuples: [...acc.tuples.values()].filter(([proc]) => !recent.has(proc)),
        destinations: [...acc.destinations],
        active_hours: hoursByHost.get(acc.host)?.size ?? 0,
      };
    }),
    environment: {
      host_count: Math.max(environmentHosts.size, estateHosts),
      host_hours: [...hoursByHost.values()].reduce((sum, hours) => sum + hours.size, 0),
      ports: ports.entries().map(([key, count]) => {
        const [protocol, port] = splitPortKey(key);
        return [protocol, port, count];
      }),
      destinations: destinations.entries(),
      processes: processes.entries(),
      sha1s: sha1s.entries(),
      sha1_names: [...sha1Names].map(([sha1, names]) => [sha1, [...names]]),
      estate: [
        ...(options.estate ?? []).map((read) => estateUsed(read)),
        ...(options.estateReads ?? []).map(({ id, read }) => ({ ...estateUsed(read), read: id })),
      ],
      known_good: settings.ports.known_good.flatMap((known) => {
        const range = parsePortSpec(known.port);
        return range ? [[known.protocol, range[0], range[1]] as [string, number, number]] : [];
      }),
    },
  };
}

/** Hours marked per row at most: a week of hourly presence, so one row never costs more than a lookup table. */
const MAX_HOURS_PER_ROW = 168;

/**
 * Marks the UTC hours a row shows telemetry in: the ones it lists when its reader knew them. Otherwise the row only
 * says "seen `count` times between first and last": its first and last hour are certain, and a row seen n times over
 * a longer span is taken as present in n hours spread evenly over it (a source's aggregate of continuous telemetry;
 * never more hours than sightings).
 */
function markActiveHours(hours: Set<number>, entry: BaselineEntry): void {
  if (entry.hours !== undefined) {
    for (const hour of entry.hours) hours.add(hour);
    return;
  }
  const first = Math.floor(entry.first_seen / HOUR);
  const last = Math.floor(Math.max(entry.first_seen, entry.last_seen) / HOUR);
  const marks = Math.min(entry.count, last - first + 1, MAX_HOURS_PER_ROW);
  hours.add(first);
  hours.add(last);
  for (let i = 1; i < marks - 1; i++) hours.add(first + Math.round(((last - first) * i) / (marks - 1)));
}

/**
 * Whether a baseline row's host belongs to the estate when it is not watched. A name or an EDR id is a managed
 * device; a bare address counts only inside `networks.internal` (never assumed RFC 1918): in a span port's log every
 * internet scanner is an "originator", and counting them made the web's own ports look rare.
 */
function isEstateHost(host: string, internal: ReturnType<typeof compileCidrList>): boolean {
  if (isIP(host) === 0) return true;
  return internal.size > 0 && internal.contains(host);
}

/** The `hostIdentity`s of the watched hosts that have a usable baseline (at least one kept row). */
export function baselinedHosts(snapshot: BaselineSnapshot): ReadonlySet<string> {
  return new Set(snapshot.hosts.filter((host) => host.rows > 0).map((host) => host.host));
}

const estateUsed = (read: PrevalenceSnapshot) => ({
  source: read.source,
  from: read.from,
  to: read.to,
  host_count: read.host_count,
  partial: read.partial,
});

/** The lower-cased image file name of a baseline row, from its path, else its reported name. */
function imageName(path: string | undefined, name: string | undefined): string | undefined {
  const key = processKey(path, name);
  return key === '' ? undefined : basename(key);
}

function addName(index: Map<string, Set<string>>, sha1: string, name: string): void {
  const names = index.get(sha1);
  if (!names) index.set(sha1, new Set([name]));
  else if (names.size <= MAX_NAMES_PER_SHA1) names.add(name);
}

const portKey = (protocol: string, port: number | undefined): string => `${protocol}/${port ?? ''}`;

function splitPortKey(key: string): [string, number | null] {
  const slash = key.lastIndexOf('/');
  const port = key.slice(slash + 1);
  return [key.slice(0, slash), port === '' ? null : Number(port)];
}

export type { CompiledHostBaseline } from './host-baseline.js';

export interface CompiledBaseline {
  /** The compiled estate reads the snapshot references, shared with every other baseline that references them. */
  readonly estates: readonly CompiledEstate[];
  /** Baseline window length in ms, when known. */
  readonly windowMs: number | undefined;
  readonly hostCount: number;
  /**
   * Hours of telemetry behind the estate counts: the sum of the estate hosts' active hours, or undefined when the
   * snapshot did not record it or an estate-wide prevalence read (days of every host) was merged in.
   */
  readonly hostHours: number | undefined;
  /** By `hostIdentity(host)`; absent when the host had no usable baseline row. */
  readonly hosts: ReadonlyMap<string, CompiledHostBaseline>;
  /** On how many baseline hosts this port/protocol was seen. */
  portHosts(protocol: string, port: number | undefined): number;
  /** True for `ports.known_good` seeds. */
  isKnownGoodPort(protocol: string, port: number | undefined): boolean;
  /** On how many baseline hosts this normalized destination IP or host name was contacted. */
  destinationHosts(destination: string): number;
  /** On how many baseline hosts this process (lower-cased path or name) made connections. */
  processHosts(process: string): number;
  sha1Hosts(sha1: string): number;
  /** True when the baseline rows carried hashes at all: without them no hash can be "new". */
  readonly hasHashes: boolean;
  /** The lower-cased image file names a hash ran under in the baseline, if it was seen. */
  sha1Names(sha1: string): readonly string[] | undefined;
}

/** The estate reads a snapshot references, compiled, and the watch's blocked indicators. */
export interface ReferencedEstate {
  /** The compiled reads of `environment.estate` entries with a `read` id; one missing is left out. */
  estates: readonly CompiledEstate[];
  /** Never merged from the estate, as `buildBaseline` leaves them out of embedded reads. */
  blocked: readonly Indicator[];
}

/**
 * The snapshot is parsed JSON: each mention of a destination or process is a string of its own. A compiled baseline
 * keeps one of each, the estate reads' own where they count it.
 */
function interner(estates: readonly CompiledEstate[]): (text: string) => string {
  const strings = new Map<string, string>();
  return (text) => {
    let held = strings.get(text);
    if (held === undefined) {
      for (const estate of estates) held ??= estate.heldDestination(text);
      strings.set(text, (held ??= text));
    }
    return held;
  };
}

/**
 * Counts by key, with the keys interned. (Not inline in `compileBaseline`: a closure there calling `intern` would
 * keep the interner's table alive as long as the compiled baseline.)
 */
const internedCounts = (counts: readonly (readonly [string, number])[], intern: (text: string) => string): SortedCounts =>
  SortedCounts.of(counts.map(([key, count]) => [intern(key), count]));

/** Turns a stored snapshot (and the estate reads it references) into the lookup structure the detector uses. */
export function compileBaseline(snapshot: BaselineSnapshot, referenced: ReferencedEstate = { estates: [], blocked: [] }): CompiledBaseline {
  const codec = new PortProtocolCodec();
  const { estates } = referenced;
  const intern = interner(estates);
  const hosts = new Map<string, CompiledHostBaseline>();
  for (const host of snapshot.hosts) hosts.set(host.host, compileHostBaseline(host, codec, intern));

  const portCounts = new Map<number, number>();
  for (const [protocol, port, count] of snapshot.environment.ports) {
    const code = codec.encode(protocol, port, true);
    portCounts.set(code, Math.max(portCounts.get(code) ?? 0, count));
  }
  const knownGood = new ProtocolPortSet();
  for (const [protocol, from, to] of snapshot.environment.known_good) knownGood.add(protocol, from, to);
  const { from, to } = snapshot.window;
  const blocked = sharedIndicators(referenced.blocked);
  const estateDestinationHosts = (destination: string): number => {
    let hosts = 0;
    for (const estate of estates) hosts = Math.max(hosts, estate.destinationHosts(destination));
    if (hosts === 0) return 0;
    const ip = isIP(destination) === 0 ? undefined : destination;
    return blocked.match(ip, ip === undefined ? destination : undefined) === undefined ? hosts : 0;
  };
  // A count the shared estate reads already match is not held again: `destinationHosts` takes the larger of both.
  const destinations = internedCounts(snapshot.environment.destinations, intern).without(
    (destination, count) => count <= estateDestinationHosts(destination),
  );
  const processes = internedCounts(snapshot.environment.processes, intern);
  const sha1s = internedCounts(snapshot.environment.sha1s, intern);
  const sha1Names = new Map(snapshot.environment.sha1_names);

  return {
    estates,
    windowMs: from !== null && to !== null && to > from ? to - from : undefined,
    hostCount: estates.reduce((count, estate) => Math.max(count, estate.hostCount), snapshot.environment.host_count),
    hostHours: snapshot.environment.estate.some((read) => !read.partial) ? undefined : snapshot.environment.host_hours,
    hosts,
    portHosts: (protocol, port) => {
      const code = codec.encode(protocol, port, false);
      const own = code < 0 ? 0 : (portCounts.get(code) ?? 0);
      return estates.reduce((hosts, estate) => Math.max(hosts, estate.portHosts(protocol, port)), own);
    },
    isKnownGoodPort: (protocol, port) => knownGood.has(protocol, port),
    destinationHosts: (destination) => Math.max(destinations.get(destination) ?? 0, estateDestinationHosts(destination)),
    processHosts: (process) => processes.get(process) ?? 0,
    sha1Hosts: (sha1) => sha1s.get(sha1) ?? 0,
    hasHashes: sha1s.size > 0,
    sha1Names: (sha1) => sha1Names.get(sha1),
  };
}
