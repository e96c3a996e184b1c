import type { Redis } from 'ioredis';
import { WatchSchema, type Watch, type WatchedHost } from '../contracts/watch.js';
import { createHostMatcher } from '../contracts/host-identity.js';
import { firstLabel, normalizeIp } from '../lib/net.js';
import type { RedisKeys } from '../lib/keys.js';
import { unpackJson } from '../lib/packed-json.js';
import { LuaScript } from '../lib/lua-script.js';

export type WatchStateFilter = 'active' | 'closed' | 'all';

export interface WatchListQuery {
  state: WatchStateFilter;
  /** Only the watches of this incident. */
  incident?: string | undefined;
  /** Only the watches of a host given by name, IP or EDR id, matched as telemetry is matched to watched hosts. */
  host?: string | undefined;
  limit: number;
  /** Where the previous page stopped (from `encodeCursor`). */
  after?: ListPosition | undefined;
}

export interface WatchListPage {
  watches: Watch[];
  /** Where the next page starts; undefined once every watch was listed. */
  next?: ListPosition | undefined;
}

/** A watch's place in the listing order: newest first by creation, then by id (descending) on ties. */
export interface ListPosition {
  created: number;
  id: string;
}

/** Candidates read per index per round; a request reads at most SCAN_BUDGET before answering with a cursor. */
const SCAN_BUDGET = 2_000;
const INDEX_VERSION = '1';

/** Every identifier a watched host is indexed under: EDR id, host name and its first DNS label, IP. */
export function hostTokens(host: Pick<WatchedHost, 'hostname' | 'ip' | 'edr_id'>): string[] {
  const tokens = new Set<string>();
  if (host.edr_id !== undefined) tokens.add(host.edr_id.toLowerCase());
  if (host.hostname !== undefined) {
    const name = host.hostname.toLowerCase();
    tokens.add(name);
    tokens.add(firstLabel(name));
  }
  if (host.ip !== undefined) tokens.add(normalizeIp(host.ip));
  return [...tokens];
}

/** The identifiers a `host` query may be stored under; the host matcher then decides. */
const queryTokens = (host: string): string[] => {
  const name = host.toLowerCase();
  return [...new Set([name, firstLabel(name), normalizeIp(host)])];
};

/** Adds a watch to the listing indexes (idempotent: a watch never leaves its incident's or its hosts' index). */
export function addToListIndexes(pipeline: ReturnType<Redis['multi']>, keys: RedisKeys, watch: Watch): void {
  const created = Date.parse(watch.created_at);
  pipeline.zadd(keys.incidentWatches(watch.incident_id), created, watch.id);
  for (const token of new Set(watch.hosts.flatMap(hostTokens))) pipeline.zadd(keys.hostWatches(token), created, watch.id);
}

/**
 * The next `n` + 1 watch ids after a position, newest first, from the union of the given sorted sets (scored by
 * creation). The start is found from the position itself, not an offset, so watches added meanwhile never shift it.
 */
const PAGE_SCRIPT = new LuaScript(`
local function after(a, b)
  -- byte order, as Redis orders members of equal score (Lua's own comparison follows the locale)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x > y end
  end
  return #a > #b
end
local n = tonumber(ARGV[4])
local merged, seen = {}, {}
for _, key in ipairs(KEYS) do
  local start = 0
  if ARGV[1] == '1' then
    start = redis.call('zcount', key, '(' .. ARGV[2], '+inf')
    for _, member in ipairs(redis.call('zrangebyscore', key, ARGV[2], ARGV[2])) do
      if member == ARGV[3] or after(member, ARGV[3]) then start = start + 1 end
    end
  end
  local page = redis.call('zrange', key, start, start + n, 'REV', 'WITHSCORES')
  for i = 1, #page, 2 do
    if not seen[page[i]] then
      seen[page[i]] = true
      merged[#merged + 1] = { page[i], page[i + 1], tonumber(page[i + 1]) }
    end
  end
end
table.sort(merged, function(a, b) if a[3] ~= b[3] then return a[3] > b[3] end return after(a[1], b[1]) end)
local out = {}
for i = 1, math.min(#merged, n + 1) do
  out[#out + 1] = merged[i][1]
  out[#out + 1] = merged[i][2]
end
return out
`);

/**
 * Pages through watches newest first, with a cursor that stays exact while watches are opened: a page starts
 * right after the (creation time, id) where the previous one stopped, in the `all`, incident or host index.
 */
export class WatchLister {
  private indexed: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async page(query: WatchListQuery): Promise<WatchListPage> {
    await this.ensureIndexes();
    const indexes =
      query.host !== undefined
        ? queryTokens(query.host).map((token) => this.keys.hostWatches(token))
        : query.incident !== undefined
          ? [this.keys.incidentWatches(query.incident)]
          : [this.keys.allWatches];
    const watches: Watch[] = [];
    let position = query.after;
    let scanned = 0;
    for (;;) {
      const candidates = await this.candidates(indexes, position, query.limit);
      const more = candidates.length > query.limit;
      const batch = candidates.slice(0, query.limit);
      const stored = await this.load(batch.map((candidate) => candidate.id));
      for (const [index, candidate] of batch.entries()) {
        position = candidate;
        const watch = stored[index];
        if (watch === undefined || !this.matches(watch, query)) continue;
        watches.push(watch);
        if (watches.length === query.limit) {
          return { watches, next: more || index < batch.length - 1 ? position : undefined };
        }
      }
      scanned += batch.length;
      if (!more) return { watches };
      if (scanned >= SCAN_BUDGET) return { watches, next: position };
    }
  }

  private matches(watch: Watch, query: WatchListQuery): boolean {
    const { host } = query;
    if (query.state === 'active' && watch.state === 'closed') return false;
    if (query.state === 'closed' && watch.state !== 'closed') return false;
    if (query.incident !== undefined && watch.incident_id !== query.incident) return false;
    if (host !== undefined && createHostMatcher(watch.hosts).byRef({ uid: host, hostname: host, ip: host }) === undefined) return false;
    return true;
  }

  private async candidates(indexes: string[], after: ListPosition | undefined, n: number): Promise<ListPosition[]> {
    const args = after ? ['1', String(after.created), after.id, String(n)] : ['0', '', '', String(n)];
    const flat = (await PAGE_SCRIPT.run(this.redis, indexes, args)) as string[];
    const out: ListPosition[] = [];
    for (let i = 0; i < flat.length; i += 2) out.push({ id: flat[i]!, created: Number(flat[i + 1]) });
    return out;
  }

  /** The stored watches, in the order of `ids`; undefined where a watch is gone. */
  private async load(ids: readonly string[]): Promise<(Watch | undefined)[]> {
    if (ids.length === 0) return [];
    const values = await this.redis.mgetBuffer(ids.map((id) => this.keys.watch(id)));
    return values.map((stored) => (stored === null ? undefined : WatchSchema.parse(unpackJson(stored))));
  }

  /**
   * Adds the watches opened before the incident and host indexes existed, once per Redis (and per process):
   * idempotent and additive, so processes doing it at the same time, or watches opened meanwhile, are harmless.
   */
  private async ensureIndexes(): Promise<void> {
    this.indexed ??= this.backfill().catch((error: unknown) => {
      this.indexed = undefined;
      throw error;
    });
    return this.indexed;
  }

  private async backfill(): Promise<void> {
    if ((await this.redis.get(this.keys.watchListIndexes)) === INDEX_VERSION) return;
    const batch = 500;
    for (let start = 0; ; start += batch) {
      const ids = await this.redis.zrange(this.keys.allWatches, start, String(start + batch - 1));
      const watches = (await this.load(ids)).filter((watch): watch is Watch => watch !== undefined);
      if (watches.length > 0) {
        const pipeline = this.redis.multi();
        for (const watch of watches) addToListIndexes(pipeline, this.keys, watch);
        await pipeline.exec();
      }
      if (ids.length < batch) break;
    }
    await this.redis.set(this.keys.watchListIndexes, INDEX_VERSION);
  }
}

/** The opaque cursor clients pass back: base64url of the position. */
export function encodeCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify([position.created, position.id]), 'utf8').toString('base64url');
}

/** The position a cursor stands for, or undefined when it is not one this service wrote. */
export function decodeCursor(cursor: string): ListPosition | undefined {
  if (!/^[A-Za-z0-9_-]{1,1400}$/.test(cursor)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [created, id] = value as unknown[];
    if (typeof created !== 'number' || !Number.isSafeInteger(created) || typeof id !== 'string' || id.length === 0 || id.length > 200) return undefined;
    return { created, id };
  } catch {
    return undefined;
  }
}
