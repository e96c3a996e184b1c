/** A port as configured: a number, or an inclusive range written "1000-2000". */
export type PortSpec = number | string;

export const PORT_RANGE_PATTERN = /^(\d{1,5})-(\d{1,5})$/;

/** The inclusive [from, to] of a port spec; undefined when it is not a valid port or range. */
export function parsePortSpec(spec: PortSpec): [number, number] | undefined {
  if (typeof spec === 'number') return Number.isInteger(spec) && spec >= 0 && spec <= 65535 ? [spec, spec] : undefined;
  const match = PORT_RANGE_PATTERN.exec(spec.trim());
  if (!match) return undefined;
  const from = Number(match[1]);
  const to = Number(match[2]);
  return from <= to && to <= 65535 ? [from, to] : undefined;
}

/**
 * A set of ports as sorted, disjoint inclusive ranges: a rule or a known-good list names a few ports or ranges, so
 * membership is a short search. (A byte per port, 64 KiB a set, cost every allow-rule with ports and every watch's
 * known-good list that much memory outside the JS heap.)
 */
export class PortSet {
  /** [from, to] pairs flattened, sorted by `from`, never overlapping or touching. */
  private bounds: number[] = [];
  private count = 0;

  add(from: number, to: number): void {
    if (from > to) return;
    const ranges: [number, number][] = [[from, to]];
    for (let i = 0; i < this.bounds.length; i += 2) ranges.push([this.bounds[i] as number, this.bounds[i + 1] as number]);
    ranges.sort((a, b) => a[0] - b[0]);
    const merged: number[] = [];
    for (const [start, end] of ranges) {
      const last = merged.length - 1;
      if (last > 0 && start <= (merged[last] as number) + 1) merged[last] = Math.max(merged[last] as number, end);
      else merged.push(start, end);
    }
    this.bounds = merged;
    this.count = 0;
    for (let i = 0; i < merged.length; i += 2) this.count += (merged[i + 1] as number) - (merged[i] as number) + 1;
  }

  has(port: number | undefined): boolean {
    if (port === undefined || !Number.isInteger(port)) return false;
    // The last range starting at or before the port.
    let low = 0;
    let high = this.bounds.length / 2;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.bounds[middle * 2] as number) <= port) low = middle + 1;
      else high = middle;
    }
    return low > 0 && port <= (this.bounds[(low - 1) * 2 + 1] as number);
  }

  get size(): number {
    return this.count;
  }

  static from(specs: readonly PortSpec[]): PortSet {
    const set = new PortSet();
    for (const spec of specs) {
      const range = parsePortSpec(spec);
      if (range) set.add(range[0], range[1]);
    }
    return set;
  }
}

/** Ports per protocol (`tcp`, `udp`, ...), e.g. the environment's known-good service ports. */
export class ProtocolPortSet {
  private readonly byProtocol = new Map<string, PortSet>();

  add(protocol: string, from: number, to: number): void {
    const key = protocol.toLowerCase();
    let set = this.byProtocol.get(key);
    if (!set) {
      set = new PortSet();
      this.byProtocol.set(key, set);
    }
    set.add(from, to);
  }

  has(protocol: string, port: number | undefined): boolean {
    return this.byProtocol.get(protocol)?.has(port) ?? false;
  }
}

/** Windows' dynamic RPC range (CAR-2014-05-001): constant between internal hosts, never "uncommon" there. */
export const DYNAMIC_RPC_FROM = 49152;
export const DYNAMIC_RPC_TO = 65535;
