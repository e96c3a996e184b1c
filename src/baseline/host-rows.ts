import type { BaselineEntry } from '../contracts/connection-event.js';
import type { WatchedHost } from '../contracts/watch.js';
import { createHostMatcher, hostKey, hostLabel } from '../contracts/host-identity.js';
import type { SourceConnector } from '../sources/types.js';
import { canReuse, rowsWithin } from '../stores/host-baseline-cache.js';
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
  const { cache, policy } = baselines;
  const sourceConfig = baselines.sourceFingerprints.get(connector.id) ?? '';
  const wanted = { from: range.from.getTime(), to: range.to.getTime() };
  const entries: BaselineEntry[] = [];
  const reused: HostRows['reused'] = [];
  const readUntil = new Map<string, number>();
  const toRead: WatchedHost[] = [];
  const cachedRows = policy.reuseForMs > 0 ? await cache.getMany(connector.id, hosts.map(hostKey)) : [];
  for (const [index, host] of hosts.entries()) {
    const cached = cachedRows[index];
    if (cached?.source_config === sourceConfig && canReuse(cached, wanted, policy.reuseForMs)) {
      entries.push(...rowsWithin(cached, wanted));
      reused.push({ host: hostLabel(host), taken_at: cached.taken_at });
      readUntil.set(hostLabel(host), cached.to);
    } else {
      toRead.push(host);
    }
  }

  const fetched: BaselineEntry[] = [];
  for (let start = 0; start < toRead.length; start += connector.maxHostsPerQuery) {
    const batch = toRead.slice(start, start + connector.maxHostsPerQuery).map(({ hostname, ip, edr_id }) => ({ hostname, ip, edr_id }));
    fetched.push(...(await connector.fetchBaseline({ ...range, hosts: batch })));
  }
  entries.push(...fetched);

  if (policy.reuseForMs > 0 && toRead.length > 0) {
    const matchHost = createHostMatcher(toRead);
    const byHost = new Map<WatchedHost, BaselineEntry[]>();
    for (const entry of fetched) {
      const host = matchHost.byRef({ uid: entry.host, hostname: entry.host, ip: entry.host });
      if (host) byHost.set(host, [...(byHost.get(host) ?? []), entry]);
    }
    const takenAt = new Date().toISOString();
    // A host with no rows is not cached: it may have come back by the next block, and must be asked again.
    for (const [host, rows] of byHost) {
      await cache.save({ version: 2, source: connector.id, source_config: sourceConfig, host: hostKey(host), ...wanted, taken_at: takenAt, entries: rows }, policy.reuseForMs);
    }
  }
  return { entries, reused, readUntil };
}
