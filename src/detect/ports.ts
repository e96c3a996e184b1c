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

/** A set of ports with O(1) membership: one byte per port, 64 KiB, built once. */
export class PortSet {
  private readonly bits = new Uint8Array(65536);
  private count = 0;

  add(from: number, to: number): void {
    for (let port = from; port <= to; port++) {
      if (this.bits[port] === 0) this.count++;
      this.bits[port] = 1;
    }
  }

  has(port: number | undefined): boolean {
    return port !== undefined && this.bits[port] === 1;
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
