/**
 * The large estate of the scale bench: thousands of workstations, a week of history spread over 20,000 estate
 * destinations, live background traffic at a chosen volume, and implants that fall back to a new C2 when told to.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { BLOCKED_C2, FALLBACK_C2 } from '../src/dev/scenario/index.js';
import type { Scenario, SimConnection, SimDestination, SimHost, SimProcess } from '../src/dev/scenario/index.js';
import { fallbackProcess } from '../src/dev/scenario/fallback-flows.js';
import { processOn, type ProcessImage } from '../src/dev/scenario/hosts.js';
import { hash32, sha1Hex, unitFraction } from '../src/dev/scenario/stable-hash.js';
import type { HostFilter } from '../src/sources/mde/dev/kql-reader.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** The estate prevalence's default size: each destination is seen from two hosts, the least it needs to be kept. */
export const ESTATE_DESTINATIONS = 20_000;
/** A realistic implant beacon period: the fallback C2 is contacted about once a minute. */
const FALLBACK_PERIOD_MS = MINUTE;
const SENSOR_HISTORY = Array.from({ length: 32 }, (_, beat) => beat * 5);

const SENSOR: ProcessImage = {
  name: 'MsSense.exe',
  path: 'C:\\Program Files\\Windows Defender Advanced Threat Protection\\MsSense.exe',
  cmd_line: '"MsSense.exe"',
  parent: 'services.exe',
  parent_path: 'C:\\Windows\\System32\\services.exe',
  company: 'Microsoft Corporation',
  system: true,
};
const BROWSER: ProcessImage = {
  name: 'chrome.exe',
  path: 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
  cmd_line: '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=utility --utility-sub-type=network.mojom.NetworkService',
  parent: 'chrome.exe',
  parent_path: 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
  company: 'Google LLC',
  system: false,
};
const SENSOR_GATEWAY: SimDestination = { ip: '20.50.201.195', port: 443, hostname: 'winatp-gw-weu.microsoft.com' };
const SITES: readonly SimDestination[] = [
  { ip: '142.250.179.100', port: 443, hostname: 'www.google.com' },
  { ip: '52.97.146.162', port: 443, hostname: 'outlook.office.com' },
  { ip: '140.82.121.4', port: 443, hostname: 'github.com' },
];

export function estateHosts(count: number): SimHost[] {
  return Array.from({ length: count }, (_, index) => {
    const hostname = `MSP-WS-${String(index).padStart(5, '0')}`;
    const fqdn = `${hostname.toLowerCase()}.corp.example`;
    const n = index + 1;
    return { hostname, fqdn, ip: `10.40.${n >> 8}.${n & 255}`, device_id: sha1Hex(`device:${fqdn}`) };
  });
}

interface Tuple {
  key: string;
  process: SimProcess;
  dst: SimDestination;
}

export interface EstateOptions {
  hosts: number;
  blockedAt: number;
}

/**
 * What the fake serves. Generation is narrowed to the hosts of the query being answered (`narrowTo`): the fake
 * filters rows by host anyway, so the answer is the same, and the bench does not spend its time in the fake.
 */
export class ScaleEstate {
  readonly hosts: SimHost[];
  private readonly byName = new Map<string, number>();
  private readonly byId = new Map<string, number>();
  private readonly byIp = new Map<string, number>();
  private readonly narrowing = new AsyncLocalStorage<number[]>();
  private readonly all: number[];
  /** Live background traffic: one connection per host every `livePeriodMs`; `level` names the setting in event ids. */
  private livePeriodMs = HOUR;
  private level = 0;
  /** When the current volume was set: its traffic from before then was ingested at that moment. */
  private levelSetAt = 0;
  private readonly fallbackAt = new Map<number, number>();

  constructor(private readonly options: EstateOptions) {
    this.hosts = estateHosts(options.hosts);
    this.hosts.forEach((host, index) => {
      this.byName.set(host.fqdn, index);
      this.byName.set(host.hostname.toLowerCase(), index);
      this.byId.set(host.device_id, index);
      this.byIp.set(host.ip, index);
    });
    this.all = this.hosts.map((_, index) => index);
  }

  /** Sets the live volume so a read of `windowMs` returns about `rows` rows over the whole estate. */
  setVolume(rows: number, windowMs: number): void {
    this.livePeriodMs = Math.max(1_000, Math.round((this.hosts.length * windowMs) / rows));
    this.level += 1;
    this.levelSetAt = Date.now();
  }

  /** The implant on each host starts its fallback channel at the given time; its first connection is then. */
  fallBack(starts: ReadonlyMap<number, number>): void {
    for (const [host, at] of starts) this.fallbackAt.set(host, at);
  }

  narrowTo<T>(filter: HostFilter | undefined, run: () => T): T {
    if (filter === undefined) return this.narrowing.run(this.all, run);
    const found = new Set<number>();
    for (const name of [...filter.deviceNames, ...filter.shortNames]) {
      const lower = name.toLowerCase();
      const index = this.byName.get(lower) ?? this.byName.get(lower.split('.')[0] ?? '');
      if (index !== undefined) found.add(index);
    }
    for (const id of filter.deviceIds) if (this.byId.has(id)) found.add(this.byId.get(id)!);
    for (const ip of filter.localIps) if (this.byIp.has(ip)) found.add(this.byIp.get(ip)!);
    return this.narrowing.run([...found], run);
  }

  scenario(): Scenario {
    return {
      name: 'benign',
      blockedAt: new Date(this.options.blockedAt),
      hosts: this.hosts,
      blockedIndicator: { type: 'ip', value: BLOCKED_C2.ip },
      connections: (from, to) => this.connections(from.getTime(), to.getTime()),
    };
  }

  private tuples(index: number): Tuple[] {
    const host = this.hosts[index]!;
    const sensor = processOn(host, SENSOR);
    const browser = processOn(host, BROWSER);
    const perHost = 2 * Math.ceil(ESTATE_DESTINATIONS / this.hosts.length);
    const first = (index * perHost) / 2;
    const estate = Array.from({ length: perHost }, (_, offset) => {
      const n = (first + offset) % ESTATE_DESTINATIONS;
      return { key: `estate-${n}`, process: browser, dst: { ip: `198.18.${n >> 8}.${n & 255}`, port: 443, hostname: `cdn-${n}.example` } };
    });
    return [
      { key: 'sensor', process: sensor, dst: SENSOR_GATEWAY },
      ...SITES.map((dst, site) => ({ key: `site-${site}`, process: browser, dst })),
      ...estate,
    ];
  }

  private connections(from: number, to: number): SimConnection[] {
    const { blockedAt } = this.options;
    const events: SimConnection[] = [];
    const push = (host: SimHost, id: string, time: number, process: SimProcess, dst: SimDestination, ingestedAt?: number) => {
      if (time >= from && time < to) events.push({ id, host, time, process, dst, protocol: 'tcp', outcome: 'success', ...(ingestedAt !== undefined && { ingested_at: ingestedAt }) });
    };
    for (const index of this.narrowing.getStore() ?? this.all) {
      const host = this.hosts[index]!;
      // History: the sensor's connection every ~5 h of the week (so the baseline holds a week of active hours, and
      // "never seen" counts in full), every other tuple twice; the last half an hour before the block.
      if (from < blockedAt - 30 * MINUTE) {
        this.tuples(index).forEach((tuple, position) => {
          const times = position === 0 ? SENSOR_HISTORY : [0, 2];
          for (const hoursBack of times) push(host, `scale:${host.hostname}:${tuple.key}:h${hoursBack}`, blockedAt - 30 * MINUTE - hoursBack * HOUR, tuple.process, tuple.dst);
        });
      }
      const liveFrom = Math.max(from, blockedAt);
      if (liveFrom < to) {
        const live = this.tuples(index).slice(0, 1 + SITES.length);
        const key = `${host.hostname}:live${this.level}`;
        for (let slot = Math.floor(liveFrom / this.livePeriodMs); slot * this.livePeriodMs < to; slot += 1) {
          const tuple = live[hash32(`${key}#${slot}:tuple`) % live.length]!;
          const time = slot * this.livePeriodMs + Math.floor(unitFraction(`${key}#${slot}`) * this.livePeriodMs);
          // A new volume's traffic before it was set is a backlog the vendor ingested then, all at once.
          push(host, `scale:${key}:${slot}`, time, tuple.process, tuple.dst, Math.max(time, this.levelSetAt));
        }
      }
      const fallbackAt = this.fallbackAt.get(index);
      if (fallbackAt !== undefined && fallbackAt < to) {
        const process = fallbackProcess(host, fallbackAt);
        for (let beat = Math.max(0, Math.floor((from - fallbackAt) / FALLBACK_PERIOD_MS)); fallbackAt + beat * FALLBACK_PERIOD_MS < to; beat += 1) {
          const jitter = beat === 0 ? 0 : Math.floor(unitFraction(`${host.hostname}:fallback#${beat}`) * 0.15 * FALLBACK_PERIOD_MS);
          push(host, `scale:${host.hostname}:fallback:${beat}`, fallbackAt + beat * FALLBACK_PERIOD_MS + jitter, process, FALLBACK_C2);
        }
      }
    }
    return events.sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}
