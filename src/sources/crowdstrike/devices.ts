import { firstLabel } from '../../lib/net.js';
import type { HostRef, HostVisibility } from '../types.js';
import { AID_PATTERN } from './cql.js';
import type { FalconApi } from './falcon-api.js';
import { deviceFilter, type DeviceLookup } from './fql.js';
import { DeviceEntitiesSchema, DeviceIdsSchema, parseBody, type FalconDevice } from './parse.js';

/** Lookups per FQL filter; the Hosts API allows 20 properties per statement. */
const LOOKUPS_PER_FILTER = 20;
/** Ids per `GET /devices/entities/devices/v2`. */
const IDS_PER_ENTITY_CALL = 100;
const IDS_PAGE_LIMIT = 5_000;
/** `limit + offset` past 10,000 is refused by the query endpoints; no lookup of ours comes near. */
const MAX_ID_PAGES = 2;
/** Devices move, get re-imaged and renamed; a lookup is reused for this long. */
const CACHE_TTL_MS = 5 * 60_000;

/** What a watched host was resolved to: its Falcon devices, or why there are none. */
export interface ResolvedHost {
  host: HostRef;
  devices: FalconDevice[];
  reason?: string;
}

const given = (value: string | undefined) => (value !== undefined && value.trim() !== '' ? value.trim() : undefined);

/** Whether a device carries the name a SOAR gave: equal, or equal once one side is cut to its first DNS label. */
export function deviceHasName(device: FalconDevice, name: string): boolean {
  const wanted = name.toLowerCase();
  const short = device.hostname?.toLowerCase();
  if (!short) return false;
  const domain = device.machine_domain?.toLowerCase();
  const fqdn = domain && !short.includes('.') ? `${short}.${domain}` : short;
  if (wanted === short || wanted === fqdn) return true;
  if (wanted.includes('.') && fqdn.includes('.')) return false;
  return firstLabel(wanted) === firstLabel(fqdn);
}

/** The host's Falcon device id, lower case, when its `edr_id` is one. */
function edrIdOf(host: HostRef): string | undefined {
  const edrId = given(host.edr_id)?.toLowerCase();
  return edrId !== undefined && AID_PATTERN.test(edrId) ? edrId : undefined;
}

/** The name or IP a host is looked up by; hosts with the same key share one cached answer. */
function keyOf(host: HostRef): string | undefined {
  const hostname = given(host.hostname);
  if (hostname) return `hostname\u0000${hostname.toLowerCase()}`;
  const ip = given(host.ip);
  return ip ? `local_ip\u0000${ip}` : undefined;
}

/** The FQL lookups that find a host's devices: its name (and first label, Falcon's usual hostname), else its local IP. */
function lookupsOf(host: HostRef): DeviceLookup[] {
  const hostname = given(host.hostname);
  if (hostname) {
    const short = firstLabel(hostname);
    return short === hostname ? [{ field: 'hostname', value: hostname }] : [{ field: 'hostname', value: hostname }, { field: 'hostname', value: short }];
  }
  const ip = given(host.ip);
  return ip ? [{ field: 'local_ip', value: ip }] : [];
}

/** Whether a device is the host: the lookups match loosely, this decides. */
function isHost(device: FalconDevice, host: HostRef): boolean {
  const hostname = given(host.hostname);
  return hostname ? deviceHasName(device, hostname) : device.local_ip === given(host.ip);
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

interface Cached<T> {
  value: T;
  expiresAt: number;
}

/** Resolves watched hosts to Falcon devices through the Hosts API, with a short-lived cache. */
export class DeviceDirectory {
  private readonly byHost = new Map<string, Cached<string[]>>();
  private readonly byId = new Map<string, Cached<FalconDevice | null>>();

  constructor(
    private readonly sourceId: string,
    private readonly api: FalconApi,
    private readonly now: () => number = Date.now,
  ) {}

  async resolve(hosts: readonly HostRef[], signal?: AbortSignal): Promise<ResolvedHost[]> {
    const now = this.now();
    const pending = [
      ...new Map(
        hosts.flatMap((host) => {
          // A device id says which device it is; the name is not looked up as well.
          if (edrIdOf(host) !== undefined) return [];
          const key = keyOf(host);
          return key !== undefined && !this.fresh(this.byHost.get(key), now) ? [[key, host] as const] : [];
        }),
      ).entries(),
    ];
    const lookups = [...new Map(pending.flatMap(([, host]) => lookupsOf(host)).map((lookup) => [`${lookup.field}:${lookup.value.toLowerCase()}`, lookup])).values()];
    const found = new Set<string>();
    for (const batch of chunk(lookups, LOOKUPS_PER_FILTER)) {
      for (const id of await this.queryIds(deviceFilter(batch), signal)) found.add(id.toLowerCase());
    }
    const edrIds = hosts.map(edrIdOf).filter((id): id is string => id !== undefined);
    await this.loadDevices([...found, ...edrIds], signal);
    const devices = [...found].map((id) => this.byId.get(id)?.value).filter((device): device is FalconDevice => !!device);
    for (const [key, host] of pending) {
      const ids = devices.filter((device) => isHost(device, host)).map((device) => device.device_id.toLowerCase());
      this.byHost.set(key, { value: ids, expiresAt: now + CACHE_TTL_MS });
    }
    return hosts.map((host) => this.resolved(host));
  }

  private fresh<T>(entry: Cached<T> | undefined, now: number): entry is Cached<T> {
    return entry !== undefined && entry.expiresAt > now;
  }

  private resolved(host: HostRef): ResolvedHost {
    const aid = edrIdOf(host);
    if (aid !== undefined) {
      const device = this.byId.get(aid)?.value;
      return device ? { host, devices: [device] } : { host, devices: [], reason: 'no Falcon device has this device id' };
    }
    const edrId = given(host.edr_id);
    const key = keyOf(host);
    const ids = key === undefined ? [] : (this.byHost.get(key)?.value ?? []);
    const devices = ids.map((id) => this.byId.get(id)?.value).filter((device): device is FalconDevice => !!device);
    if (devices.length > 0) return { host, devices };
    if (key === undefined) {
      const reason = edrId ? 'edr_id is not a Falcon device id (32 hex digits), and no host name or IP was given' : 'no host name or IP to look up';
      return { host, devices: [], reason };
    }
    const what = key.startsWith('local_ip') ? 'this local IP' : 'this host name';
    return { host, devices: [], reason: `no Falcon device with ${what}` };
  }

  private async queryIds(filter: string, signal: AbortSignal | undefined): Promise<string[]> {
    const ids: string[] = [];
    for (let page = 0; page < MAX_ID_PAGES; page += 1) {
      const params = new URLSearchParams({ filter, limit: String(IDS_PAGE_LIMIT), offset: String(ids.length) });
      const response = await this.api.request<unknown>({ method: 'GET', url: `/devices/queries/devices/v1?${params.toString()}`, signal });
      const body = parseBody(this.sourceId, 'devices/queries/devices/v1', DeviceIdsSchema, response.data);
      const resources = body.resources ?? [];
      ids.push(...resources);
      const total = body.meta.pagination?.total ?? ids.length;
      if (resources.length === 0 || ids.length >= total) break;
    }
    return ids;
  }

  private async loadDevices(ids: readonly string[], signal: AbortSignal | undefined): Promise<void> {
    const now = this.now();
    const missing = [...new Set(ids)].filter((id) => !this.fresh(this.byId.get(id), now));
    for (const batch of chunk(missing, IDS_PER_ENTITY_CALL)) {
      const params = new URLSearchParams(batch.map((id): [string, string] => ['ids', id]));
      const response = await this.api.request<unknown>({ method: 'GET', url: `/devices/entities/devices/v2?${params.toString()}`, signal });
      const body = parseBody(this.sourceId, 'devices/entities/devices/v2', DeviceEntitiesSchema, response.data);
      for (const id of batch) this.byId.set(id, { value: null, expiresAt: now + CACHE_TTL_MS });
      for (const device of body.resources ?? []) this.byId.set(device.device_id.toLowerCase(), { value: device, expiresAt: now + CACHE_TTL_MS });
    }
  }
}

/** What `resolveHosts` reports: visible with the most recently seen device, or the reason it is not. */
export function visibilityOf(resolved: ResolvedHost): HostVisibility {
  const latest = [...resolved.devices].sort((a, b) => (b.last_seen ?? '').localeCompare(a.last_seen ?? ''))[0];
  return latest
    ? { host: resolved.host, visible: true, device_id: latest.device_id.toLowerCase() }
    : { host: resolved.host, visible: false, reason: resolved.reason ?? 'unknown to this source' };
}
