import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LuaScript } from './lua-script.js';

const RELEASE = new LuaScript(`if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`);
const RENEW = new LuaScript(`if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`);

export class LockTimeoutError extends Error {
  constructor(readonly key: string) {
    super(`timed out waiting for lock ${key}`);
  }
}

/** A lock held for as long as its holder lives: renewed while held, so a crashed holder frees it within `ttlMs`. */
export interface Lease {
  release(): Promise<void>;
}

/** SET NX PX until it succeeds or `waitMs` has passed; true when `token` now holds `key`. */
async function acquire(redis: Redis, key: string, token: string, ttlMs: number, waitMs: number): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  let delay = 5;
  for (;;) {
    if ((await redis.set(key, token, 'PX', ttlMs, 'NX')) === 'OK') return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, delay + Math.random() * delay));
    delay = Math.min(delay * 2, 100);
  }
}

/**
 * Runs `work` while holding a short Redis lock (SET NX PX, released only by its owner).
 * For read-modify-write of one record by several processes; `ttlMs` must exceed the work's duration.
 */
export async function withLock<T>(
  redis: Redis,
  key: string,
  work: () => Promise<T>,
  { ttlMs = 10_000, waitMs = 5_000 }: { ttlMs?: number; waitMs?: number } = {},
): Promise<T> {
  const token = randomUUID();
  if (!(await acquire(redis, key, token, ttlMs, waitMs))) throw new LockTimeoutError(key);
  try {
    return await work();
  } finally {
    await RELEASE.run(redis, [key], [token]);
  }
}

/**
 * Takes `key` for work of unknown length, waiting up to `waitMs` for another holder to let go; undefined when it
 * did not. The lease is renewed every third of `ttlMs` until released, so it never lapses under a live holder.
 */
export async function holdLease(redis: Redis, key: string, { ttlMs, waitMs = 0 }: { ttlMs: number; waitMs?: number }): Promise<Lease | undefined> {
  const token = randomUUID();
  if (!(await acquire(redis, key, token, ttlMs, waitMs))) return undefined;
  // A failed renewal is retried on the next beat; if the holder is truly gone, the key simply expires.
  const renewal = setInterval(() => void RENEW.run(redis, [key], [token, ttlMs]).catch(() => undefined), Math.max(1, Math.floor(ttlMs / 3)));
  renewal.unref();
  return {
    async release() {
      clearInterval(renewal);
      await RELEASE.run(redis, [key], [token]);
    },
  };
}

const TAKE_ALL = new LuaScript(`
local taken = {}
for index, key in ipairs(KEYS) do
  if redis.call('set', key, ARGV[1], 'PX', ARGV[2], 'NX') then taken[#taken + 1] = index end
end
return taken
`);
const RENEW_ALL = new LuaScript(`for _, key in ipairs(KEYS) do if redis.call('get', key) == ARGV[1] then redis.call('pexpire', key, ARGV[2]) end end return 0`);
const RELEASE_ALL = new LuaScript(`for _, key in ipairs(KEYS) do if redis.call('get', key) == ARGV[1] then redis.call('del', key) end end return 0`);

/** Leases on several keys at once: `held` lists the keys this holder got. */
export interface MultiLease extends Lease {
  held: readonly string[];
}

/**
 * Takes whichever of `keys` are free, in one round trip, renewed like `holdLease` until released. With `all`, it
 * takes every key or none, retrying until `waitMs` has passed (undefined then); without, it takes what is free at
 * once (possibly nothing). The keys must live in one Redis Cluster slot.
 */
export async function holdLeases(
  redis: Redis,
  keys: readonly string[],
  { ttlMs, waitMs = 0, all = false }: { ttlMs: number; waitMs?: number; all?: boolean },
): Promise<MultiLease | undefined> {
  const token = randomUUID();
  const deadline = Date.now() + waitMs;
  let delay = 5;
  let held: string[] = [];
  for (;;) {
    if (keys.length === 0) break;
    const taken = (await TAKE_ALL.run(redis, keys, [token, ttlMs])) as number[];
    held = taken.map((index) => keys[index - 1] as string);
    if (!all || held.length === keys.length) break;
    if (held.length > 0) await RELEASE_ALL.run(redis, held, [token]);
    held = [];
    if (Date.now() >= deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, delay + Math.random() * delay));
    delay = Math.min(delay * 2, 100);
  }
  const renewal =
    held.length === 0
      ? undefined
      : setInterval(() => void RENEW_ALL.run(redis, held, [token, ttlMs]).catch(() => undefined), Math.max(1, Math.floor(ttlMs / 3)));
  renewal?.unref();
  return {
    held,
    async release() {
      if (renewal === undefined) return;
      clearInterval(renewal);
      await RELEASE_ALL.run(redis, held, [token]);
    },
  };
}
