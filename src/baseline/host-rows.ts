import type { BaselineEntry } from '../contracts/connection-event.js';
import type { WatchedHost } from '../contracts/watch.js';
import { createHostMatcher, hostKey, hostLabel } from '../contracts/host-identity.js';
import type { SourceConnector } from '../sources/types.js';
import { canReuse, rowsWithin, type CachedHostBaseline } from '../stores/host-baseline-cache.js';
import type { BaselineServices } from './services.js';

export interface HostRows {
  entries: BaselineEntry[];
  /** Hosts whose rows came from an earlier watch's cached baseline, and when that was taken. */
  reused: { host: string; taken_at: string }[];
  /** Per reused host (label), where its cached window ended (epoch ms); the others were read up to the block. */
  readUntil: Map<string, number>;
}

/**
 * The hosts' baseline rows from one source: from the cache where an earlier watch's baseline can stand for this one,
 * else read (in batches of the source's host limit) and cached per host for later watches. Rows the source returned
 * for no watched host still count towards prevalence, but are not cached.
 */
export async function readHostRows(
  baselines: BaselineServices,
  connector: SourceConnector,
  hosts: readonly WatchedHost[],
  range: { from: Date; to: Date },
): Promise<HostRows> {
  const [rows] = await readHostRowsOfWatches(baselines, connector, [hosts], range);
  return rows as HostRows;
}

/** One batch's rows in the order read, each with the key of the asked host it belongs to (none: no asked host). */
type BatchRows = { entry: BaselineEntry; key?: string }[];

/**
 * `readHostRows` for several watches over one window, read together: each host (by key) is asked once, in batches
 * of the source's host limit across the watches, so N watches of 5 hosts cost ceil(5N / limit) queries, not N. Each
 * watch gets the rows of its own hosts, named as it names them, and the rows of no asked host from the batches its
 * hosts were read in, as its own query would have returned them.
 */
export async function readHostRowsOfWatches(
  baselines: BaselineServices,
  connector: SourceConnector,
  hostsOfWatches: readonly (readonly WatchedHost[])[],
  range: { from: Date; to: Date },
): Promise<HostRows[]> {
  const { cache, policy } = baselines;
  const sourceConfig = baselines.sourceFingerprints.get(connector.id) ?? '';
  const wanted = { from: range.from.getTime(), to: range.to.getTime() };
  const unique = new Map<string, WatchedHost>();
  for (const hosts of hostsOfWatches) for (const host of hosts) if (!unique.has(hostKey(host))) unique.set(hostKey(host), host);
  const keys = [...unique.keys()];
  const cachedRows = policy.reuseForMs > 0 ? await cache.getMany(connector.id, keys) : [];
  const reusable = new Map<string, CachedHostBaseline>();
  const toRead: WatchedHost[] = [];
  for (const [index, key] of keys.entries()) {
    const cached = cachedRows[index];
    if (cached?.source_config === sourceConfig && canReuse(cached, wanted, policy.reuseForMs)) reusable.set(key, cached);
    else toRead.push(unique.get(key) as WatchedHost);
  }

  const batches: BatchRows[] = [];
  const batchOf = new Map<string, BatchRows>();
  const fetchedByHost = new Map<WatchedHost, BaselineEntry[]>();
  for (let start = 0; start < toRead.length; start += connector.maxHostsPerQuery) {
    const asked = toRead.slice(start, start + connector.maxHostsPerQuery);
    const fetched = await connector.fetchBaseline({ ...range, hosts: asked.map(({ hostname, ip, edr_id }) => ({ hostname, ip, edr_id })) });
    const matchHost = createHostMatcher(asked);
    const batch: BatchRows = [];
    for (const entry of fetched) {
      const host = matchHost.byRef({ uid: entry.host, hostname: entry.host, ip: entry.host });
      if (host) fetchedByHost.set(host, [...(fetchedByHost.get(host) ?? []), entry]);
      batch.push(host ? { entry, key: hostKey(host) } : { entry });
    }
    batches.push(batch);
    for (const host of asked) batchOf.set(hostKey(host), batch);
  }

  if (policy.reuseForMs > 0) {
    const takenAt = new Date().toISOString();
    // A host with no rows is not cached: it may have come back by the next block, and must be asked again.
    for (const [host, rows] of fetchedByHost) {
      await cache.save({ version: 2, source: connector.id, source_config: sourceConfig, host: hostKey(host), ...wanted, taken_at: takenAt, entries: rows }, policy.reuseForMs);
    }
  }

  return hostsOfWatches.map((hosts) => {
    const entries: BaselineEntry[] = [];
    const reused: HostRows['reused'] = [];
    const readUntil = new Map<string, number>();
    const ownBatches = new Set<BatchRows>();
    for (const host of hosts) {
      const cached = reusable.get(hostKey(host));
      if (cached) {
        entries.push(...rowsWithin(cached, wanted));
        reused.push({ host: hostLabel(host), taken_at: cached.taken_at });
        readUntil.set(hostLabel(host), cached.to);
      } else {
        const batch = batchOf.get(hostKey(host));
        if (batch) ownBatches.add(batch);
      }
    }
    const ownKeys = new Map(hosts.map((host) => [hostKey(host), hostLabel(host)]));
    for (const batch of batches.filter((read) => ownBatches.has(read))) {
      for (const { entry, key } of batch) {
        if (key === undefined) entries.push(entry);
        else {
          const label = ownKeys.get(key);
          if (label !== undefined) entries.push(entry.host === label ? entry : { ...entry, host: label });
        }
      }
    }
    return { entries, reused, readUntil };
  });
}
