import { exactly, lowerBound } from './sorted-keys.js';

/**
 * (protocol, port) as one number, so lookups on the hot path allocate no string: protocols are interned to small
 * ids, "no port" (ICMP) is 65536.
 */
export class PortProtocolCodec {
  private readonly ids = new Map<string, number>();
  encode(protocol: string, port: number | undefined | null, intern: boolean): number {
    let id = this.ids.get(protocol);
    if (id === undefined) {
      if (!intern) return -1;
      id = this.ids.size;
      this.ids.set(protocol, id);
    }
    return id * 65537 + (port ?? 65536);
  }
}

/** A set of (protocol, port) codes: most hold one, held as a plain number. */
type Codes = number | Set<number>;

function withCode(held: Codes | undefined, code: number): Codes {
  if (held === undefined || held === code) return code;
  if (typeof held === 'number') return new Set([held, code]);
  return held.add(code);
}

const hasCode = (held: Codes | undefined, code: number): boolean =>
  held !== undefined && (typeof held === 'number' ? held === code : held.has(code));

/** A baseline tuple as stored: [process, dst ip, dst hostname, port, protocol]. */
export type BaselineTuple = readonly [string, string | null, string | null, number | null, string];

/** One watched host's baseline as lookups. */
export interface CompiledHostBaseline {
  readonly label: string;
  readonly processes: ReadonlySet<string>;
  readonly sha1s: ReadonlySet<string>;
  /** Distinct hours of telemetry behind this host's rows; undefined for snapshots that did not record it. */
  readonly activeHours: number | undefined;
  /** True when this host itself used the port/protocol in the baseline, to any destination. */
  usedPort(protocol: string, port: number | undefined): boolean;
  /** True when this process (lower-cased path or name) used the port/protocol on this host, to any destination. */
  processUsedPort(process: string, protocol: string, port: number | undefined): boolean;
  /** True when this exact (process, destination ip or name, port, protocol) was seen on this host. */
  hasTuple(process: string, dstIp: string | undefined, dstHostname: string | undefined, port: number | undefined, protocol: string): boolean;
}

/** What a host's compiled baseline is made of: its entry in the snapshot. */
export interface HostBaselineInput {
  label: string;
  processes: readonly string[];
  sha1s: readonly string[];
  tuples: readonly BaselineTuple[];
  active_hours?: number | undefined;
}

/**
 * Compiles one host's entry. `intern` returns one instance per distinct string, so a destination or process named
 * by many tuples (and by the environment's counts) is held once.
 */
export function compileHostBaseline(host: HostBaselineInput, codec: PortProtocolCodec, intern: (text: string) => string): CompiledHostBaseline {
  return new HostLookups(codec, host, intern);
}

class HostLookups implements CompiledHostBaseline {
  readonly label: string;
  readonly processes: ReadonlySet<string>;
  readonly sha1s: ReadonlySet<string>;
  readonly activeHours: number | undefined;
  private readonly usedPorts: Codes | undefined;
  /** By process. */
  private readonly tuples = new Map<string, ProcessTuples>();

  constructor(
    private readonly codec: PortProtocolCodec,
    host: HostBaselineInput,
    intern: (text: string) => string,
  ) {
    this.label = host.label;
    this.processes = new Set(host.processes.map(intern));
    this.sha1s = new Set(host.sha1s.map(intern));
    this.activeHours = host.active_hours;
    let usedPorts: Codes | undefined;
    const byProcess = new Map<string, { ports: Codes; pairs: [string, number][] }>();
    for (const [rawProcess, dstIp, dstHostname, port, protocol] of host.tuples) {
      const process = intern(rawProcess);
      const code = codec.encode(protocol, port, true);
      usedPorts = withCode(usedPorts, code);
      let used = byProcess.get(process);
      if (!used) byProcess.set(process, (used = { ports: code, pairs: [] }));
      used.ports = withCode(used.ports, code);
      if (dstIp !== null) used.pairs.push([intern(dstIp), code]);
      if (dstHostname !== null) used.pairs.push([intern(dstHostname), code]);
    }
    this.usedPorts = usedPorts;
    for (const [process, { ports, pairs }] of byProcess) this.tuples.set(process, processTuples(ports, pairs));
  }

  usedPort(protocol: string, port: number | undefined): boolean {
    const code = this.codec.encode(protocol, port, false);
    return code >= 0 && hasCode(this.usedPorts, code);
  }

  processUsedPort(process: string, protocol: string, port: number | undefined): boolean {
    const code = this.codec.encode(protocol, port, false);
    return code >= 0 && hasCode(this.tuples.get(process)?.ports, code);
  }

  hasTuple(process: string, dstIp: string | undefined, dstHostname: string | undefined, port: number | undefined, protocol: string): boolean {
    const tuples = this.tuples.get(process);
    if (!tuples) return false;
    const code = this.codec.encode(protocol, port, false);
    if (code < 0) return false;
    return (dstIp !== undefined && hasPair(tuples, dstIp, code)) || (dstHostname !== undefined && hasPair(tuples, dstHostname, code));
  }
}

/**
 * One process's tuples on a host as sorted arrays (a map per process and destination was most of a watch's heap):
 * destinations in code-unit order, a destination repeated once per (protocol, port) it was used with.
 */
interface ProcessTuples {
  /** Every (protocol, port) the process used, to any destination. */
  readonly ports: Codes;
  readonly destinations: readonly string[];
  /** The code of each destination, or the one code of them all (the usual case: one port per process). */
  readonly codes: number | readonly number[];
}

function processTuples(ports: Codes, pairs: [string, number][]): ProcessTuples {
  pairs.sort(([a, codeA], [b, codeB]) => (a < b ? -1 : a > b ? 1 : codeA - codeB));
  const destinations: string[] = [];
  const codes: number[] = [];
  for (const [destination, code] of pairs) {
    const last = destinations.length - 1;
    if (last >= 0 && destinations[last] === destination && codes[last] === code) continue;
    destinations.push(destination);
    codes.push(code);
  }
  const first = codes[0] ?? -1;
  return { ports, destinations: exactly(destinations), codes: codes.every((code) => code === first) ? first : exactly(codes) };
}

function hasPair({ destinations, codes }: ProcessTuples, destination: string, code: number): boolean {
  let index = lowerBound(destinations, destination);
  if (typeof codes === 'number') return destinations[index] === destination && codes === code;
  for (; destinations[index] === destination; index++) if (codes[index] === code) return true;
  return false;
}
